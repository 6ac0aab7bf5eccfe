//! fermata-wasm: runs task plugins, WebAssembly components built against `wit/`, and
//! provides them the host capabilities the operator grants. A plugin computes an outcome;
//! what that outcome means for the workflow is the decider's business, not this crate's.

mod cache;
mod engine;
mod host;
pub mod policy;
mod runtime;

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "task-plugin",
        imports: { default: async },
    exports: { default: async },
    additional_derives: [PartialEq, Eq, Hash],
});

pub use cache::sha256_hex;
pub use engine::{Limits, build_engine};
pub use host::{
    Capability, HostConfig, PublishedEvent, SignalCaller, TaskUpdateRequest, UpdateTarget,
    WorkflowSignals,
};
pub use runtime::{ExecError, Execution, PluginRuntime, PluginSummary, Prepared, Source, TaskInfo};

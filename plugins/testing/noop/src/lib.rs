//! NOOP: completes at once with its input as output. Measures the host's own cost.

// The plugin type is only used by the component's export (see the bottom of this file).
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use fermata_plugin::{Capability, Guest, Outcome, PluginInfo, TaskContext};

struct Noop;

impl Guest for Noop {
    fn describe() -> PluginInfo {
        PluginInfo {
            task_type: "NOOP".into(),
            description: "Does nothing".into(),
            capabilities: Vec::<Capability>::new(),
        }
    }

    fn execute(_ctx: TaskContext, input: String) -> Outcome {
        Outcome::Completed(input)
    }
}

#[cfg(target_arch = "wasm32")]
fermata_plugin::export_plugin!(Noop);

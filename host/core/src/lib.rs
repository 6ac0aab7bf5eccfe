//! fermata-core: the Conductor model and the pure decider. No I/O lives here: no runtime,
//! no SQL, no sockets. The host applies one event at a time and persists the result.

pub mod decider;
pub mod expr;
pub mod limits;
pub mod model;
pub mod schedule;
pub mod schedule_search;
pub mod search;
pub mod task_search;
pub mod webhook;

pub use decider::{Effect, EngineError, Env, ErrorKind, Event, NewWorkflow, Outcome, apply, start};

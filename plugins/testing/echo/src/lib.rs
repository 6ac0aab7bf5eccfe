//! ECHO: completes at once with its input as output. Measures the host's own cost. (Not
//! NOOP: that name is Conductor's operator, which fermata's decider runs.)

// The plugin type is only used by the component's export (see the bottom of this file).
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use fermata_plugin::{Capability, Guest, Outcome, PluginInfo, TaskContext};

struct Echo;

impl Guest for Echo {
    fn describe() -> PluginInfo {
        PluginInfo {
            task_type: "ECHO".into(),
            description: "Completes with its input".into(),
            capabilities: Vec::<Capability>::new(),
        }
    }

    fn execute(_ctx: TaskContext, input: String) -> Outcome {
        Outcome::Completed(input)
    }
}

#[cfg(target_arch = "wasm32")]
fermata_plugin::export_plugin!(Echo);

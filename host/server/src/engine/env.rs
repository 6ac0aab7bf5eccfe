//! The host's side of the decider's [`Env`]: wall-clock time, UUIDs, random jitter and the
//! definitions loaded for this one decision.

use fermata_core::Env;
use fermata_core::model::WorkflowDef;
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub struct HostEnv {
    now: i64,
    defs: HashMap<(String, Option<i32>), WorkflowDef>,
}

impl HostEnv {
    pub fn new(now: i64) -> HostEnv {
        HostEnv {
            now,
            defs: HashMap::new(),
        }
    }

    pub fn with_def(&mut self, name: &str, version: Option<i32>, def: WorkflowDef) {
        self.defs.insert((name.to_string(), version), def);
    }
}

impl Env for HostEnv {
    fn now(&self) -> i64 {
        self.now
    }
    fn new_id(&mut self) -> String {
        new_id()
    }
    fn jitter_ms(&mut self, max_ms: i64) -> i64 {
        fastrand::i64(0..=max_ms.max(0))
    }
    fn workflow_def(&self, name: &str, version: Option<i32>) -> Option<WorkflowDef> {
        self.defs.get(&(name.to_string(), version)).cloned()
    }
}

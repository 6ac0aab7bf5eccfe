//! The host's side of the decider's [`Env`]: wall-clock time, UUIDs, random jitter, the
//! definitions this decision needs, and pure plugins run in place.
//!
//! The decider is synchronous and the store is not, so lookups work by asking: a definition
//! the decider asks for and this environment does not hold is noted as missing, the engine
//! loads it, and the (pure, cheap) decision is made again from the start.

use fermata_core::Env;
use fermata_core::decider::{PluginOutcome, PureCall};
use fermata_core::model::{Json, TaskDef, WorkflowDef};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Runs pure plugins (those asking for no capabilities) inside a decision.
pub trait PureRunner: Send + Sync {
    fn is_plugin(&self, task_type: &str) -> bool;
    /// `None`: no pure plugin of this type.
    fn run(&self, call: PureCall<'_>, now: i64) -> Option<PluginOutcome>;
    /// Run the INLINE plugin outside any task (event conditions, registration checks).
    fn script(&self, input: &Json) -> Option<PluginOutcome>;
    /// The syntax error of a JavaScript expression (parsed by the INLINE plugin, not run).
    fn script_error(&self, expression: &str) -> Option<String> {
        let mut input = Json::new();
        input.insert("syntaxOnly".into(), true.into());
        input.insert("expression".into(), expression.into());
        match self.script(&input)? {
            PluginOutcome::Failed { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

/// What a decision asked for that the environment did not hold.
#[derive(Debug, Default)]
pub struct Missing {
    pub workflow_defs: BTreeSet<(String, Option<i32>)>,
    pub task_defs: BTreeSet<String>,
}

impl Missing {
    pub fn is_empty(&self) -> bool {
        self.workflow_defs.is_empty() && self.task_defs.is_empty()
    }
}

pub struct HostEnv {
    now: i64,
    /// `None` values: looked up, and absent.
    defs: HashMap<(String, Option<i32>), Option<WorkflowDef>>,
    task_defs: HashMap<String, Option<TaskDef>>,
    missing: RefCell<Missing>,
    runner: Option<Arc<dyn PureRunner>>,
    /// Time plugins have run inside this change's decisions.
    spent: Duration,
}

/// Plugin time one change may use before its decision pauses (and goes on in the next),
/// so no script keeps an execution locked for long.
const DECISION_BUDGET: Duration = Duration::from_secs(5);

impl HostEnv {
    pub fn new(now: i64, runner: Option<Arc<dyn PureRunner>>) -> HostEnv {
        HostEnv {
            now,
            defs: HashMap::new(),
            task_defs: HashMap::new(),
            missing: RefCell::new(Missing::default()),
            runner,
            spent: Duration::ZERO,
        }
    }

    pub fn set_now(&mut self, now: i64) {
        self.now = now;
    }

    pub fn with_def(&mut self, name: &str, version: Option<i32>, def: Option<WorkflowDef>) {
        self.defs.insert((name.to_string(), version), def);
    }

    pub fn with_task_def(&mut self, name: &str, def: Option<TaskDef>) {
        self.task_defs.insert(name.to_string(), def);
    }

    pub fn has_def(&self, name: &str, version: Option<i32>) -> bool {
        self.defs.contains_key(&(name.to_string(), version))
    }

    /// What the last decision missed (and forget it).
    pub fn take_missing(&self) -> Missing {
        std::mem::take(&mut *self.missing.borrow_mut())
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
        match self.defs.get(&(name.to_string(), version)) {
            Some(def) => def.clone(),
            None => {
                self.missing
                    .borrow_mut()
                    .workflow_defs
                    .insert((name.to_string(), version));
                None
            }
        }
    }
    fn task_def(&self, name: &str) -> Option<TaskDef> {
        match self.task_defs.get(name) {
            Some(def) => def.clone(),
            None => {
                self.missing.borrow_mut().task_defs.insert(name.to_string());
                None
            }
        }
    }
    fn is_plugin(&self, task_type: &str) -> bool {
        self.runner.as_ref().is_some_and(|r| r.is_plugin(task_type))
    }
    fn run_pure(&mut self, call: PureCall<'_>) -> Option<PluginOutcome> {
        let started = Instant::now();
        let outcome = self.runner.as_ref()?.run(call, self.now);
        self.spent += started.elapsed();
        outcome
    }
    fn should_pause(&self) -> bool {
        self.spent >= DECISION_BUDGET
    }
}

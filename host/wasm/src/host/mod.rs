//! The host side of the plugin world: what a plugin's imports do. Each capability checks
//! the plugin's grant first, then the operator's policy for the destination.

mod events;
mod http;
mod kafka;
mod log;
mod workflow;

use crate::policy::{HttpPolicy, KafkaPolicy};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, StoreLimits};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

pub use events::PublishedEvent;
pub use workflow::{SignalCaller, TaskUpdateRequest, UpdateTarget, WorkflowSignals};

/// A host capability, as the operator grants it. A plugin declares the first three in
/// `describe()`; it asks for `workflow` by importing the `workflow` interface, which keeps
/// plugins built before that interface existed loading unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    Http,
    Kafka,
    Events,
    Workflow,
}

impl Capability {
    pub const ALL: [Capability; 4] = [
        Capability::Http,
        Capability::Kafka,
        Capability::Events,
        Capability::Workflow,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Capability::Http => "http",
            Capability::Kafka => "kafka",
            Capability::Events => "events",
            Capability::Workflow => "workflow",
        }
    }

    pub fn named(name: &str) -> Option<Capability> {
        let name = name.trim().to_ascii_lowercase();
        Capability::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl From<crate::fermata::task::types::Capability> for Capability {
    fn from(c: crate::fermata::task::types::Capability) -> Capability {
        use crate::fermata::task::types::Capability as Wit;
        match c {
            Wit::Http => Capability::Http,
            Wit::Kafka => Capability::Kafka,
            Wit::Events => Capability::Events,
        }
    }
}

/// What the operator configured for plugins' capabilities.
#[derive(Debug, Clone, Default)]
pub struct HostConfig {
    pub http: HttpPolicy,
    pub kafka: KafkaPolicy,
    /// Brokers behind `kafka:` event sinks.
    pub event_brokers: Option<String>,
}

/// Clients shared by every execution.
pub(crate) struct Services {
    pub config: HostConfig,
    pub http: reqwest::Client,
    pub kafka: kafka::Producers,
    /// Set once the engine exists (it is built after the plugin runtime).
    pub signals: std::sync::OnceLock<Arc<dyn WorkflowSignals>>,
}

impl Services {
    pub fn new(config: HostConfig) -> anyhow::Result<Services> {
        Ok(Services {
            http: http::client(&config.http)?,
            kafka: kafka::Producers::default(),
            signals: std::sync::OnceLock::new(),
            config,
        })
    }
}

/// What one plugin binary may use, and how the operator names it in `--grant`.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    pub capabilities: HashSet<Capability>,
    /// `TYPE` for a plugin the operator installed, `TYPE@sha256:HEX` for one registered
    /// over the API: a grant for it names its content.
    pub grantee: String,
}

/// The store data of one execution.
pub(crate) struct State {
    pub wasi: WasiCtx,
    pub table: ResourceTable,
    pub limits: Limiter,
    pub task_type: String,
    pub workflow_id: String,
    pub task_id: String,
    /// The task's run ([`crate::TaskInfo::run`]).
    pub run: i64,
    /// How many task updates this execution asked for so far: each one's idempotency key.
    pub updates_asked: u32,
    pub grants: Grants,
    pub services: Arc<Services>,
    pub deadline: Instant,
    /// Events for `conductor:` sinks, committed together with the task's outcome.
    pub events: Vec<PublishedEvent>,
}

impl State {
    pub fn require(&self, capability: Capability) -> Result<(), String> {
        if self.grants.capabilities.contains(&capability) {
            Ok(())
        } else {
            Err(format!(
                "plugin {} is not granted the {name} capability: start fermata with --grant {}={name} (or FERMATA_GRANT)",
                self.task_type,
                self.grants.grantee,
                name = capability.name()
            ))
        }
    }

    pub fn remaining(&self) -> std::time::Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl crate::fermata::task::types::Host for State {}

/// Store limits that remember whether the memory limit was what stopped the plugin, so the
/// task's reason can say so.
pub(crate) struct Limiter {
    pub inner: StoreLimits,
    pub memory_bytes: usize,
    pub memory_refused: bool,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = self.inner.memory_growing(current, desired, maximum)?;
        if !ok {
            self.memory_refused = true;
        }
        Ok(ok)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }
}

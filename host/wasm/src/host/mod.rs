//! The host side of the plugin world: what a plugin's imports do. Each capability checks
//! the plugin's grant first, then the operator's policy for the destination.

mod events;
mod http;
mod kafka;
mod log;

use crate::fermata::task::types::Capability;
use crate::policy::{HttpPolicy, KafkaPolicy};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, StoreLimits};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

pub use events::PublishedEvent;

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
}

impl Services {
    pub fn new(config: HostConfig) -> anyhow::Result<Services> {
        Ok(Services {
            http: http::client(&config.http)?,
            kafka: kafka::Producers::default(),
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
    pub task_id: String,
    pub grants: Grants,
    pub services: Arc<Services>,
    pub deadline: Instant,
    /// Events for `conductor:` sinks, committed together with the task's outcome.
    pub events: Vec<PublishedEvent>,
}

impl State {
    pub fn require(&self, capability: Capability, name: &str) -> Result<(), String> {
        if self.grants.capabilities.contains(&capability) {
            Ok(())
        } else {
            Err(format!(
                "plugin {} is not granted the {name} capability: start fermata with --grant {}={name} (or FERMATA_GRANT)",
                self.task_type, self.grants.grantee
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

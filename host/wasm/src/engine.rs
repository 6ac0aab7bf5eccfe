//! The one place wasmtime is configured. Everything that compiles, caches or runs a
//! component uses an engine built here, so precompiled artifacts always match.

use anyhow::Result;
use std::time::Duration;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// Per-execution limits the host enforces.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest linear memory of one plugin instance.
    pub memory_bytes: usize,
    /// Wall-clock budget of one execution, host calls included.
    pub deadline: Duration,
    /// Executions at once (sizes the instance pool).
    pub concurrency: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            memory_bytes: 64 << 20,
            deadline: Duration::from_secs(60),
            concurrency: 32,
        }
    }
}

/// Epoch ticks: how often a running plugin is interrupted to check its deadline and yield.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

pub fn engine_config(limits: &Limits, pooling: bool) -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);

    config.epoch_interruption(true);
    config.cranelift_opt_level(wasmtime::OptLevel::Speed);
    if pooling {
        // A component with WASI is several core instances and memories; size the pool
        // for every concurrent execution plus the ones `describe` needs at load time.
        let slots = limits.concurrency.saturating_mul(2).saturating_add(16);
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(slots)
            .total_core_instances(slots.saturating_mul(8))
            .total_memories(slots.saturating_mul(2))
            .total_tables(slots.saturating_mul(4))
            .max_memory_size(limits.memory_bytes);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config
}

/// The engine, pooled if this machine lets us reserve the pool's address space, on-demand
/// otherwise; and a thread that advances its epoch every [`EPOCH_TICK`] while it lives.
pub fn build_engine(limits: &Limits) -> Result<Engine> {
    let engine = match Engine::new(&engine_config(limits, true)) {
        Ok(engine) => engine,
        Err(e) => {
            tracing::warn!(error = %e, "pooling allocator unavailable; falling back to on-demand allocation");
            Engine::new(&engine_config(limits, false))?
        }
    };
    start_epoch_ticker(&engine);
    Ok(engine)
}

fn start_epoch_ticker(engine: &Engine) {
    // A weak handle: the ticker stops once the last engine handle is gone.
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("wasm-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawn epoch ticker");
}

//! The timer loop: re-decides executions whose `next_wake_at` has come (timeouts, timed
//! waits, delayed retries' deadlines). It sleeps until the earliest deadline, is woken early
//! when a nearer one is written, and looks at the table at least once a second as a safety
//! net — which also picks up, after a restart, every timer that passed while fermata was down.

use super::{Engine, Op, now_ms};
use fermata_core::Event;
use std::sync::Arc;
use std::time::Duration;

const SAFETY_NET: i64 = 1_000;
const BATCH: u32 = 256;

impl Engine {
    pub async fn run_timers(self: Arc<Self>) {
        let mut shutdown = self.shutdown.clone();
        loop {
            if *shutdown.borrow() {
                return;
            }
            let now = now_ms();
            match self.store.due(now, BATCH).await {
                Ok(due) => {
                    for id in &due {
                        match self.internal(id, Op::plain(Event::Decide)).await {
                            Err(e) if e.persistent() => self.set_aside(id, &e).await,
                            Err(e) => {
                                tracing::warn!(workflow = %id, error = %e, "timer decide failed")
                            }
                            Ok(_) => {}
                        }
                    }
                    if due.len() as u32 == BATCH {
                        continue;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "timer scan failed"),
            }
            let next = match self.store.next_due().await {
                Ok(next) => next.unwrap_or(i64::MAX),
                Err(_) => i64::MAX,
            };
            let wake_at = next.min(now_ms() + SAFETY_NET);
            self.notifier.timer_sleeps_until(wake_at);
            let sleep = Duration::from_millis((wake_at - now_ms()).max(0) as u64);
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = self.notifier.timer_woken() => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

//! In-process wake-ups: long-polling workers wait on their queue, the timer loop on the
//! earliest deadline. Both are hints; the database stays the source of truth.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

#[derive(Default)]
pub struct Notifier {
    queues: Mutex<HashMap<String, Arc<Notify>>>,
    timer: Notify,
    /// When the timer loop plans to wake next (epoch ms).
    timer_at: AtomicI64,
    system: Notify,
    events: Notify,
}

impl Notifier {
    pub fn queue(&self, name: &str) -> Arc<Notify> {
        self.queues
            .lock()
            .expect("notifier poisoned")
            .entry(name.to_string())
            .or_default()
            .clone()
    }

    pub fn work_available(&self, name: &str) {
        let notify = self
            .queues
            .lock()
            .expect("notifier poisoned")
            .get(name)
            .cloned();
        if let Some(n) = notify {
            n.notify_waiters();
        }
    }

    /// A deadline was written: wake the timer loop if it would otherwise sleep past it.
    pub fn deadline(&self, at: i64) {
        if at < self.timer_at.load(Ordering::Acquire) {
            self.timer.notify_one();
        }
    }

    pub fn timer_sleeps_until(&self, at: i64) {
        self.timer_at.store(at, Ordering::Release);
    }

    pub async fn timer_woken(&self) {
        self.timer.notified().await
    }

    /// A system task was queued for the plugin executor.
    pub fn system_work(&self) {
        self.system.notify_one();
    }

    pub async fn system_woken(&self) {
        self.system.notified().await
    }

    /// Messages were written to fermata's own event queues.
    pub fn events_published(&self) {
        self.events.notify_one();
    }

    pub async fn events_woken(&self) {
        self.events.notified().await
    }
}

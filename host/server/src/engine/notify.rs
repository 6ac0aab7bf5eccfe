//! In-process wake-ups: long-polling workers wait on their queue, the timer loop on the
//! earliest deadline. Both are hints; the database stays the source of truth.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, broadcast};

/// Changed executions announced at once, beyond which a slow listener hears "lagged" (and
/// looks again at whatever it watches).
const CHANGES: usize = 1024;

pub struct Notifier {
    queues: Mutex<HashMap<String, Arc<Notify>>>,
    timer: Notify,
    /// When the timer loop plans to wake next (epoch ms).
    timer_at: AtomicI64,
    system: Notify,
    events: Notify,
    messages: Notify,
    schedules: Notify,
    /// Ids of executions whose change was just committed: synchronous callers wait on them.
    changes: broadcast::Sender<String>,
}

impl Default for Notifier {
    fn default() -> Notifier {
        Notifier {
            queues: Mutex::default(),
            timer: Notify::default(),
            timer_at: AtomicI64::default(),
            system: Notify::default(),
            events: Notify::default(),
            messages: Notify::default(),
            schedules: Notify::default(),
            changes: broadcast::channel(CHANGES).0,
        }
    }
}

impl Notifier {
    /// Hear of every execution change committed from now on.
    pub fn changes(&self) -> broadcast::Receiver<String> {
        self.changes.subscribe()
    }

    pub fn changed(&self, workflow_ids: impl IntoIterator<Item = String>) {
        for id in workflow_ids {
            // Nobody listening is fine.
            let _ = self.changes.send(id);
        }
    }

    /// Wait for work on `name`. The entry lives only while someone waits, so polling many
    /// distinct names leaves nothing behind.
    pub fn queue(&self, name: &str) -> QueueWaiter<'_> {
        let notify = self
            .queues
            .lock()
            .expect("notifier poisoned")
            .entry(name.to_string())
            .or_default()
            .clone();
        QueueWaiter {
            notifier: self,
            name: name.to_string(),
            notify,
        }
    }

    #[cfg(test)]
    fn waited_queues(&self) -> usize {
        self.queues.lock().expect("notifier poisoned").len()
    }

    pub fn work_available(&self, name: &str) {
        // Under the lock, without cloning: a waiter leaving meanwhile must see only its own
        // reference and the map's to remove the entry.
        if let Some(n) = self.queues.lock().expect("notifier poisoned").get(name) {
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

    pub fn schedules_changed(&self) {
        self.schedules.notify_one();
    }

    pub async fn schedules_woken(&self) {
        self.schedules.notified().await
    }

    pub fn messages_sent(&self) {
        self.messages.notify_one();
    }

    pub async fn messages_woken(&self) {
        self.messages.notified().await
    }
}

pub struct QueueWaiter<'a> {
    notifier: &'a Notifier,
    name: String,
    notify: Arc<Notify>,
}

impl QueueWaiter<'_> {
    pub fn notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.notify.notified()
    }
}

impl Drop for QueueWaiter<'_> {
    fn drop(&mut self) {
        let mut queues = self.notifier.queues.lock().expect("notifier poisoned");
        // The map's reference and ours: nobody else waits on this queue.
        if Arc::strong_count(&self.notify) <= 2 {
            queues.remove(&self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_entry_lives_only_while_someone_waits() {
        let notifier = Notifier::default();
        let first = notifier.queue("a");
        let second = notifier.queue("a");
        let other = notifier.queue("b");
        assert_eq!(notifier.waited_queues(), 2);
        drop(first);
        assert_eq!(notifier.waited_queues(), 2);
        drop((second, other));
        assert_eq!(notifier.waited_queues(), 0);
    }
}

//! The open connections: how many, which have a request in flight, and when each last moved
//! a byte — what admission at the limit, eviction and the idle timeout decide on.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

fn now_ms() -> u64 {
    EPOCH.elapsed().as_millis() as u64
}

/// What one connection's task, its requests and its socket share.
pub struct Shared {
    last_activity_ms: AtomicU64,
    in_flight: AtomicUsize,
    evict: Notify,
}

impl Shared {
    pub fn touch(&self) {
        self.last_activity_ms.store(now_ms(), Ordering::Relaxed);
    }
}

pub struct Connections {
    max: usize,
    open: Mutex<HashMap<u64, Arc<Shared>>>,
    next_id: AtomicU64,
    emptied: Notify,
}

impl Connections {
    pub fn new(max: usize) -> Connections {
        Connections {
            max: max.max(1),
            open: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            emptied: Notify::new(),
        }
    }

    /// A place for a new connection, closing the quietest connection without a request in
    /// flight when the limit is reached; `None` when every connection is busy.
    pub fn admit(self: &Arc<Self>) -> Option<Slot> {
        let mut open = self.open.lock().expect("connections poisoned");
        if open.len() >= self.max {
            let victim = open
                .iter()
                .filter(|(_, c)| c.in_flight.load(Ordering::Relaxed) == 0)
                .min_by_key(|(_, c)| c.last_activity_ms.load(Ordering::Relaxed))
                .map(|(id, _)| *id)?;
            if let Some(evicted) = open.remove(&victim) {
                evicted.evict.notify_one();
            }
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::new(Shared {
            last_activity_ms: AtomicU64::new(now_ms()),
            in_flight: AtomicUsize::new(0),
            evict: Notify::new(),
        });
        open.insert(id, shared.clone());
        Some(Slot(Arc::new(SlotInner {
            id,
            shared,
            registry: self.clone(),
        })))
    }

    /// Once every connection has closed.
    pub async fn drained(&self) {
        loop {
            let emptied = self.emptied.notified();
            if self.open.lock().expect("connections poisoned").is_empty() {
                return;
            }
            emptied.await;
        }
    }
}

/// One admitted connection; it leaves the registry when the last clone is dropped.
#[derive(Clone)]
pub struct Slot(Arc<SlotInner>);

struct SlotInner {
    id: u64,
    shared: Arc<Shared>,
    registry: Arc<Connections>,
}

impl Drop for SlotInner {
    fn drop(&mut self) {
        let mut open = self.registry.open.lock().expect("connections poisoned");
        open.remove(&self.id);
        if open.is_empty() {
            self.registry.emptied.notify_waiters();
        }
    }
}

impl Slot {
    pub fn activity(&self) -> Arc<Shared> {
        self.0.shared.clone()
    }

    pub fn request_started(&self) -> InFlight {
        self.0.shared.in_flight.fetch_add(1, Ordering::Relaxed);
        self.0.shared.touch();
        InFlight(self.0.shared.clone())
    }

    /// Resolves when admission chose this connection to make room.
    pub async fn evicted(&self) {
        self.0.shared.evict.notified().await
    }

    /// Resolves once no byte has moved in either direction for `timeout`.
    pub async fn silent_for(&self, timeout: Duration) {
        let timeout_ms = timeout.as_millis() as u64;
        loop {
            let last = self.0.shared.last_activity_ms.load(Ordering::Relaxed);
            let quiet = now_ms().saturating_sub(last);
            if quiet >= timeout_ms {
                return;
            }
            tokio::time::sleep(Duration::from_millis(timeout_ms - quiet)).await;
        }
    }
}

/// A request being answered: its connection is not idle.
pub struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn at_the_limit_the_quietest_idle_connection_makes_room() {
        let connections = Arc::new(Connections::new(2));
        let busy = connections.admit().unwrap();
        let _request = busy.request_started();
        let idle = connections.admit().unwrap();
        let newest = connections.admit().expect("the idle one is evicted");
        tokio::time::timeout(Duration::from_secs(1), idle.evicted())
            .await
            .expect("eviction notified");
        let _second = newest.request_started();
        assert!(connections.admit().is_none(), "every connection is busy");
        drop((busy, idle, newest, _request, _second));
        tokio::time::timeout(Duration::from_secs(1), connections.drained())
            .await
            .expect("drained");
    }
}

//! The open connections: how many, which have a request in flight, and when each last moved
//! a byte — what admission at the limit, eviction and the idle timeout decide on.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

fn now_ms() -> u64 {
    // Never 0: 0 stands for "not set" in the timestamps below.
    EPOCH.elapsed().as_millis() as u64 + 1
}

/// What one connection's task, its requests and its socket share.
pub struct Shared {
    last_activity_ms: AtomicU64,
    /// Requests handed to the application and not answered yet.
    in_flight: AtomicUsize,
    /// Of those, the ones whose body is still arriving: a client trickling a body holds no
    /// work of the server's, so its connection counts as idle.
    reading: AtomicUsize,
    /// When the first byte of a request's headers arrived (0: none is arriving).
    head_started_ms: AtomicU64,
    evict: Notify,
}

impl Shared {
    /// Bytes arrived from the client.
    pub fn received(&self) {
        let now = now_ms();
        self.last_activity_ms.store(now, Ordering::Relaxed);
        if self.in_flight.load(Ordering::Acquire) == 0 {
            let _ =
                self.head_started_ms
                    .compare_exchange(0, now, Ordering::AcqRel, Ordering::Relaxed);
        }
    }

    /// Bytes went to the client.
    pub fn sent(&self) {
        self.last_activity_ms.store(now_ms(), Ordering::Relaxed);
    }

    /// The body of a request finished arriving (or the request ended without it).
    pub fn body_done(&self) {
        self.reading.fetch_sub(1, Ordering::AcqRel);
    }

    /// Whether the server is working on a request of this connection.
    fn busy(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) > self.reading.load(Ordering::Acquire)
    }
}

/// Why a connection is closed by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// A request's headers took longer than the header-read timeout.
    HeadersTooSlow,
    /// Nothing moved, and no request was being worked on, for the idle timeout.
    Idle,
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
                .filter(|(_, c)| !c.busy())
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
            reading: AtomicUsize::new(0),
            head_started_ms: AtomicU64::new(0),
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

    /// A request reached the application; `with_body`: its body is still to arrive.
    pub fn request_started(&self, with_body: bool) -> InFlight {
        let shared = &self.0.shared;
        if with_body {
            shared.reading.fetch_add(1, Ordering::AcqRel);
        }
        shared.in_flight.fetch_add(1, Ordering::AcqRel);
        shared.head_started_ms.store(0, Ordering::Release);
        shared.sent();
        InFlight(shared.clone())
    }

    /// Resolves when admission chose this connection to make room.
    pub async fn evicted(&self) {
        self.0.shared.evict.notified().await
    }

    /// Resolves when the connection is to be closed for lack of progress.
    pub async fn expired(&self, header_read: Duration, idle: Duration) -> Expiry {
        // State changes (a request starting, a body ending) wake nobody: look again at least
        // this often.
        const RECHECK_MS: u64 = 1000;
        let shared = &self.0.shared;
        loop {
            let now = now_ms();
            let mut wait = RECHECK_MS;
            let head = shared.head_started_ms.load(Ordering::Acquire);
            if head != 0 {
                let due = head + header_read.as_millis() as u64;
                if now >= due {
                    return Expiry::HeadersTooSlow;
                }
                wait = wait.min(due - now);
            }
            if !shared.busy() {
                let due = shared.last_activity_ms.load(Ordering::Relaxed) + idle.as_millis() as u64;
                if now >= due {
                    return Expiry::Idle;
                }
                wait = wait.min(due - now);
            }
            tokio::time::sleep(Duration::from_millis(wait.max(1))).await;
        }
    }
}

/// A request being answered: its connection is not idle.
pub struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.0.sent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slow_headers_and_silence_expire_but_work_in_progress_does_not() {
        let connections = Arc::new(Connections::new(4));
        let (short, long) = (Duration::from_millis(50), Duration::from_secs(30));
        let slow = connections.admit().unwrap();
        slow.activity().received();
        assert_eq!(slow.expired(short, long).await, Expiry::HeadersTooSlow);
        let quiet = connections.admit().unwrap();
        assert_eq!(quiet.expired(long, short).await, Expiry::Idle);
        let working = connections.admit().unwrap();
        let _request = working.request_started(false);
        assert!(
            tokio::time::timeout(Duration::from_millis(300), working.expired(short, short))
                .await
                .is_err(),
            "a request being worked on keeps its connection"
        );
    }

    #[tokio::test]
    async fn at_the_limit_the_quietest_idle_connection_makes_room() {
        let connections = Arc::new(Connections::new(2));
        let busy = connections.admit().unwrap();
        let _request = busy.request_started(false);
        let idle = connections.admit().unwrap();
        // A request whose body is still arriving does not make its connection busy.
        let _trickling = idle.request_started(true);
        let newest = connections.admit().expect("the idle one is evicted");
        tokio::time::timeout(Duration::from_secs(1), idle.evicted())
            .await
            .expect("eviction notified");
        let _second = newest.request_started(false);
        assert!(connections.admit().is_none(), "every connection is busy");
        drop((busy, idle, newest, _request, _second, _trickling));
        tokio::time::timeout(Duration::from_secs(1), connections.drained())
            .await
            .expect("drained");
    }
}

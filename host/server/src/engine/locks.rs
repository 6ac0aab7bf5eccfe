//! Per-key serialization with a fixed set of mutexes: signals to one execution run one at a
//! time, memory stays bounded, and two keys share a mutex only by (harmless) hash collision.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use tokio::sync::{Mutex, MutexGuard};

pub struct Striped {
    stripes: Vec<Mutex<()>>,
}

impl Striped {
    pub fn new(n: usize) -> Striped {
        Striped {
            stripes: (0..n.max(1)).map(|_| Mutex::new(())).collect(),
        }
    }

    pub async fn lock(&self, key: &str) -> MutexGuard<'_, ()> {
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        let i = (h.finish() % self.stripes.len() as u64) as usize;
        self.stripes[i].lock().await
    }
}

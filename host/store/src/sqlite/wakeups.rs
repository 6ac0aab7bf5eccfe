//! [`Wakeups`] for [`SqliteStore`]: one process serves the file, so there is no one to tell.

use super::SqliteStore;
use crate::{Result, Wakeup, Wakeups};
use async_trait::async_trait;

#[async_trait]
impl Wakeups for SqliteStore {
    async fn listen(&self) -> Result<Option<tokio::sync::mpsc::Receiver<Wakeup>>> {
        Ok(None)
    }
}

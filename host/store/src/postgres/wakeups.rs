//! [`Wakeups`] for [`PgStore`]: each commit's wakeup is a `NOTIFY` sent in its transaction
//! (so it is delivered when, and only if, the commit is durable); every host `LISTEN`s on
//! one connection of its own.

use super::PgStore;
use crate::{Result, Wakeup, Wakeups};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgConnection, PgListener};
use std::time::Duration;

const CHANNEL: &str = "fermata_wakeups";

/// A NOTIFY payload must stay under 8000 bytes.
const MAX_PAYLOAD: usize = 7_500;

#[derive(Serialize, Deserialize)]
struct Envelope {
    /// The host that committed (it woke itself already).
    from: String,
    #[serde(flatten)]
    wakeup: Wakeup,
}

/// Send `wakeup` to the other hosts when the transaction on `conn` commits. Too long a
/// wakeup names fewer executions and queues: the hosts find the rest when they next look.
pub(super) async fn notify(conn: &mut PgConnection, from: &str, wakeup: Wakeup) -> Result<()> {
    let mut envelope = Envelope {
        from: from.to_string(),
        wakeup,
    };
    let payload = loop {
        let payload = serde_json::to_string(&envelope).map_err(crate::rows::corrupt)?;
        let w = &mut envelope.wakeup;
        if payload.len() <= MAX_PAYLOAD || (w.executions.is_empty() && w.queues.is_empty()) {
            break payload;
        }
        if w.executions.pop().is_none() {
            w.queues.pop();
        }
    };
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(conn)
        .await?;
    Ok(())
}

#[async_trait]
impl Wakeups for PgStore {
    async fn listen(&self) -> Result<Option<tokio::sync::mpsc::Receiver<Wakeup>>> {
        let mut listener = PgListener::connect(&self.url).await?;
        listener.listen(CHANNEL).await?;
        let (tx, rx) = tokio::sync::mpsc::channel(1024);
        let me = self.owner.clone();
        let mut closing = self.closing.subscribe();
        tokio::spawn(async move {
            loop {
                let received = tokio::select! {
                    received = listener.recv() => received,
                    _ = closing.wait_for(|closed| *closed) => return,
                };
                match received {
                    Ok(notification) => {
                        let Ok(envelope) = serde_json::from_str::<Envelope>(notification.payload())
                        else {
                            tracing::warn!(
                                payload = notification.payload(),
                                "an unreadable wakeup"
                            );
                            continue;
                        };
                        if envelope.from == me {
                            continue;
                        }
                        // A full channel means the engine is behind anyway: drop, it looks.
                        if let Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) =
                            tx.try_send(envelope.wakeup)
                        {
                            return;
                        }
                    }
                    // The listener reconnects on the next receive; wakeups sent meanwhile
                    // are missed, and the hosts' own looking covers them.
                    Err(e) => {
                        tracing::warn!(error = %e, "listening for other hosts' wakeups failed; retrying");
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                            _ = closing.wait_for(|closed| *closed) => return,
                        }
                    }
                }
            }
        });
        Ok(Some(rx))
    }
}

//! [`Wakeups`] for [`PgStore`]: the wakeups of a host's durable commits are merged and sent
//! as one `NOTIFY` at a time by an announcer task (a NOTIFY inside each commit would take
//! Postgres' database-wide notify lock in every commit and serialize them all); every host
//! `LISTEN`s on one connection of its own.

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

/// Send the wakeups of this host's commits: the first at once, those that come meanwhile
/// merged into one.
pub(super) async fn announce(
    pool: sqlx::PgPool,
    from: String,
    mut pending: tokio::sync::mpsc::Receiver<Wakeup>,
) {
    while let Some(first) = pending.recv().await {
        let mut merged = first;
        while let Ok(next) = pending.try_recv() {
            merge(&mut merged, next);
        }
        let sent = match pool.acquire().await {
            Ok(mut conn) => notify(&mut conn, &from, merged).await,
            Err(e) => Err(e.into()),
        };
        if let Err(e) = sent {
            tracing::debug!(error = %e, "announcing commits to other hosts failed; they will look");
        }
        // At most one announcement per interval: under load every commit's wakeup would
        // otherwise be a NOTIFY, and each is work for every listening host and Postgres.
        tokio::time::sleep(ANNOUNCE_EVERY).await;
    }
}

/// How often a busy host announces its commits: the delay another host sees at most.
const ANNOUNCE_EVERY: Duration = Duration::from_millis(20);

/// Executions or queues one announcement names at most (a NOTIFY payload is small); hosts
/// find the others when they next look.
const MAX_NAMED: usize = 150;

fn merge(into: &mut Wakeup, next: Wakeup) {
    for (names, more) in [
        (&mut into.executions, next.executions),
        (&mut into.queues, next.queues),
    ] {
        for name in more {
            if names.len() < MAX_NAMED && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    into.deadline = match (into.deadline, next.deadline) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    into.events |= next.events;
    into.messages |= next.messages;
}

/// Send `wakeup` to the other hosts. Too long a wakeup names fewer executions and queues:
/// the hosts find the rest when they next look.
async fn notify(conn: &mut PgConnection, from: &str, wakeup: Wakeup) -> Result<()> {
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

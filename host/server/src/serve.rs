//! The HTTP/1.1 server loop: what `axum::serve` does, plus the limits a server open to
//! hostile clients needs. A client gets `--header-read-timeout-ms` to send a request's
//! headers (hyper starts that clock whenever it waits for a request, so it also closes idle
//! keep-alive connections); a connection silent in both directions for `--idle-timeout-ms`
//! is closed even mid-request (a stalled body); and at most `--max-connections` are open.
//! At the limit, a new connection takes the place of the quietest one that has no request
//! in flight, so idle or slow clients can never lock the others (or `/health`) out.

mod connections;
mod watched;

use axum::Router;
use axum::extract::ConnectInfo;
use connections::{Connections, Slot};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;
use watched::Watched;

/// File descriptors kept for the database, plugins' sockets and the Kafka clients.
const RESERVED_FDS: u64 = 128;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
}

impl Limits {
    /// Raise the soft limit on open files to the hard one and keep the connection limit
    /// below it, so accepting never fails for lack of descriptors.
    pub fn fitted_to_process(mut self) -> Limits {
        let fds = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
        let room = fds.saturating_sub(RESERVED_FDS).max(16);
        if (self.max_connections as u64) > room {
            tracing::warn!(
                requested = self.max_connections,
                allowed = room,
                "--max-connections lowered to fit the open-file limit"
            );
            self.max_connections = room as usize;
        }
        self
    }
}

pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let connections = Arc::new(Connections::new(limits.max_connections));
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors or a connection reset before accept: the
                    // listener itself is fine; give the system a moment.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Some(slot) = connections.admit() else {
            // Every connection has a request in flight: this one cannot be served now.
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            stream,
            remote,
            app.clone(),
            slot,
            limits,
            stopping.clone(),
        ));
    }
    drop(listener);
    let _ = stop.send(true);
    connections.drained().await;
    Ok(())
}

async fn connection(
    stream: tokio::net::TcpStream,
    remote: SocketAddr,
    app: Router,
    slot: Slot,
    limits: Limits,
    mut stopping: watch::Receiver<bool>,
) {
    let io = Watched::new(stream, slot.activity());
    let in_flight = slot.clone();
    let service = tower::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
        let (parts, incoming) = request.into_parts();
        let (body, read_to_end) = watched::ReadToEnd::wrap(incoming);
        let mut request = hyper::Request::from_parts(parts, axum::body::Body::new(body));
        request.extensions_mut().insert(ConnectInfo(remote));
        let guard = in_flight.request_started();
        let app = app.clone();
        async move {
            let mut response = app.oneshot(request).await;
            // An answer given before the body was read (a 4xx from the path or the query)
            // leaves the rest of the body in the connection: close it, and say so, or the
            // client sends its next request into a connection the server drops.
            if let Ok(response) = &mut response
                && !read_to_end.load(std::sync::atomic::Ordering::Acquire)
            {
                response.headers_mut().insert(
                    axum::http::header::CONNECTION,
                    axum::http::HeaderValue::from_static("close"),
                );
            }
            drop(guard);
            response
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(service));
    tokio::pin!(conn);
    let mut graceful = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%remote, error = %e, "connection ended");
                }
                break;
            }
            _ = slot.evicted() => {
                tracing::debug!(%remote, "idle connection closed to admit another");
                break;
            }
            _ = slot.silent_for(limits.idle_timeout) => {
                tracing::debug!(%remote, "connection closed after the idle timeout");
                break;
            }
            changed = stopping.changed(), if !graceful => {
                // Answer what is in flight, then close.
                graceful = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

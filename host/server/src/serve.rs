//! The HTTP/1.1 server loop: what `axum::serve` does, plus the limits a server open to
//! hostile clients needs. A client gets `--header-read-timeout-ms` from a request's first
//! byte to send its headers; a connection on which nothing moves for `--idle-timeout-ms`
//! while the server works on none of its requests is closed (an idle keep-alive, a stalled
//! body); and at most `--max-connections` are open. At the limit a new connection takes the
//! place of the quietest one the server is not working for, so idle or slow clients can
//! never lock the others (or `/health`) out.

mod connections;
mod watched;

use axum::Router;
use axum::extract::ConnectInfo;
use connections::{Connections, Slot};
use http_body::Body as _;
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
            // Every connection has a request being worked on: say so and close.
            let _ = stream.try_write(&overloaded());
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
    if tokio::time::timeout(SHUTDOWN_GRACE, connections.drained())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the shutdown grace period; closing them");
    }
    Ok(())
}

/// How long a stop waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// A 503 in Conductor's shape for a connection that cannot be admitted.
fn overloaded() -> Vec<u8> {
    let body = crate::api::errors::body(&crate::error::Error {
        retryable: true,
        ..crate::error::Error::new(
            crate::error::ErrorKind::Unavailable,
            "Every connection this server allows is busy; try again in a moment",
        )
    });
    let mut out = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
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
    let requests = slot.clone();
    let service = tower::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
        let app = app.clone();
        let slot = requests.clone();
        // Boxed: hyper hands the connection back (for a lingering close) only when the
        // service's futures can move.
        Box::pin(async move {
            if let Some(refused) = oversized_head(&request) {
                return Ok(refused);
            }
            let (parts, incoming) = request.into_parts();
            let with_body = !incoming.is_end_stream();
            let guard = slot.request_started(with_body);
            let (body, read_to_end) =
                watched::ReadToEnd::wrap(incoming, with_body.then(|| slot.activity()));
            let body = match small_body(&parts.headers, body).await {
                Ok(body) => body,
                Err(refused) => return Ok(refused),
            };
            let mut request = hyper::Request::from_parts(parts, body);
            request.extensions_mut().insert(ConnectInfo(remote));
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
        })
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        // The header-read timeout is ours (it starts at a request's first byte, so idle
        // keep-alive connections are governed by the idle timeout instead).
        .header_read_timeout(None)
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(service));
    let mut conn = conn;
    let mut graceful = false;
    let finished = loop {
        tokio::select! {
            result = std::future::poll_fn(|cx| conn.poll_without_shutdown(cx)) => {
                if let Err(e) = result {
                    tracing::debug!(%remote, error = %e, "connection ended");
                }
                break true;
            }
            _ = slot.evicted() => {
                tracing::debug!(%remote, "idle connection closed to admit another");
                break false;
            }
            expiry = slot.expired(limits.header_read_timeout, limits.idle_timeout) => {
                tracing::debug!(%remote, ?expiry, "connection closed");
                break false;
            }
            _ = stopping.changed(), if !graceful => {
                // Answer what is in flight, then close.
                graceful = true;
                std::pin::Pin::new(&mut conn).graceful_shutdown();
            }
        }
    };
    if finished {
        linger(conn.into_parts().io.into_inner()).await;
    }
}

/// Close after the client stops sending: closing a socket with unread bytes resets it, and a
/// reset can destroy an answer the client has not read yet (a 413 in the middle of a large
/// upload). Bounded in time and bytes.
async fn linger(mut io: Watched) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const LINGER: Duration = Duration::from_secs(2);
    const LINGER_BYTES: usize = 16 << 20;
    if io.shutdown().await.is_err() {
        return;
    }
    let mut discarded = 0;
    let mut buf = vec![0u8; 16 << 10];
    let _ = tokio::time::timeout(LINGER, async {
        while discarded < LINGER_BYTES {
            match io.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => discarded += n,
            }
        }
    })
    .await;
}

/// Header bytes a request may carry. Hyper refuses past about 400 KiB only when the headers
/// arrive in pieces; this holds whatever the packets.
const MAX_HEADER_BYTES: usize = 64 << 10;

fn oversized_head<B>(request: &hyper::Request<B>) -> Option<axum::response::Response> {
    use axum::response::IntoResponse;
    let bytes: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    (bytes > MAX_HEADER_BYTES).then(|| {
        let mut refused = crate::error::Error::new(
            crate::error::ErrorKind::HeadersTooLarge,
            format!(
                "The request headers are larger than this server accepts ({} KiB)",
                MAX_HEADER_BYTES >> 10
            ),
        )
        .into_response();
        refused.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
        refused
    })
}

/// Bodies up to this size are read before the request is dispatched, so a handler that
/// answers without reading one (an SDK sending `{}` where nothing is expected) does not cost
/// the connection.
const PREREAD_BYTES: u64 = 64 << 10;

async fn small_body(
    headers: &axum::http::HeaderMap,
    body: watched::ReadToEnd,
) -> Result<axum::body::Body, axum::response::Response> {
    use axum::response::IntoResponse;
    use http_body_util::BodyExt;
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_none_or(|n| n > PREREAD_BYTES) {
        return Ok(axum::body::Body::new(body));
    }
    match body.collect().await {
        Ok(collected) => Ok(axum::body::Body::from(collected.to_bytes())),
        Err(e) => Err(crate::error::Error::bad_request(format!(
            "Cannot read the request body: {e}"
        ))
        .into_response()),
    }
}

//! The socket as hyper sees it: every byte read or written counts as activity, and the bare
//! error responses hyper writes by itself for requests it cannot parse (400, 414 and 431 with
//! an empty body) are given a body in Conductor's error shape, like every other error; and a
//! request body tells whether the handler read it to its end.

use super::connections::Shared;
use crate::error::Error;
use http_body::{Body, Frame, SizeHint};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

pub struct Watched {
    inner: TcpStream,
    activity: Arc<Shared>,
    /// A rewritten response being written: its bytes, how many are out, and how many bytes
    /// of hyper's own buffer it stands for.
    rewrite: Option<(Vec<u8>, usize, usize)>,
}

impl Watched {
    pub fn new(inner: TcpStream, activity: Arc<Shared>) -> Watched {
        Watched {
            inner,
            activity,
            rewrite: None,
        }
    }
}

/// Hyper's automatic answer to an unparsable request: a status line and headers only.
fn bare_error(buf: &[u8]) -> Option<Vec<u8>> {
    let rest = buf.strip_prefix(b"HTTP/1.1 ")?;
    let (status, message) = match rest.get(..3)? {
        b"400" => (400, "The request is not valid HTTP/1.1"),
        b"414" => (
            414,
            "The request URI is longer than this server accepts (64 KiB)",
        ),
        b"431" => (
            431,
            "The request headers are larger than this server accepts (100 headers, 64 KiB)",
        ),
        _ => return None,
    };
    let head = std::str::from_utf8(buf).ok()?;
    // Exactly one head and nothing else: not a response of ours with a body, nor one written
    // together with another.
    let one_head = head.find("\r\n\r\n") == Some(head.len() - 4);
    if !one_head || !head.to_ascii_lowercase().contains("content-length: 0\r\n") {
        return None;
    }
    let kind = crate::api::errors::kind_of(
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_REQUEST),
    );
    let body = crate::api::errors::body(&Error::new(kind, message));
    let reason = head.lines().next()?.get(13..).unwrap_or_default();
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    Some(out)
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = ready!(Pin::new(&mut this.inner).poll_read(cx, buf));
        if buf.filled().len() > before {
            this.activity.received();
        }
        Poll::Ready(result)
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.rewrite.is_none()
            && let Some(replacement) = bare_error(buf)
        {
            this.rewrite = Some((replacement, 0, buf.len()));
        }
        if let Some((bytes, written, stands_for)) = &mut this.rewrite {
            while *written < bytes.len() {
                let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &bytes[*written..]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                *written += n;
                this.activity.sent();
            }
            let stands_for = *stands_for;
            this.rewrite = None;
            return Poll::Ready(Ok(stands_for));
        }
        let n = ready!(Pin::new(&mut this.inner).poll_write(cx, buf))?;
        if n > 0 {
            this.activity.sent();
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// A request body that records whether it was read to its end, and tells its connection
/// when it stops arriving.
pub struct ReadToEnd {
    inner: hyper::body::Incoming,
    done: Arc<AtomicBool>,
    connection: Option<Arc<Shared>>,
}

impl ReadToEnd {
    /// `connection`: set when the body still has to arrive (see `Slot::request_started`).
    pub fn wrap(
        inner: hyper::body::Incoming,
        connection: Option<Arc<Shared>>,
    ) -> (ReadToEnd, Arc<AtomicBool>) {
        let done = Arc::new(AtomicBool::new(connection.is_none()));
        let body = ReadToEnd {
            inner,
            done: done.clone(),
            connection,
        };
        (body, done)
    }

    fn finished(&mut self) {
        self.done.store(true, Ordering::Release);
        if let Some(connection) = self.connection.take() {
            connection.body_done();
        }
    }
}

impl Drop for ReadToEnd {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            connection.body_done();
        }
    }
}

impl Body for ReadToEnd {
    type Data = bytes::Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let frame = ready!(Pin::new(&mut this.inner).poll_frame(cx));
        if frame.is_none() || this.inner.is_end_stream() {
            this.finished();
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hyper_s_bare_parse_errors_are_rewritten() {
        let bare = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Mon, 30 Nov 2026 18:00:00 GMT\r\n\r\n";
        let out = String::from_utf8(bare_error(bare).unwrap()).unwrap();
        assert!(
            out.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
            "{out}"
        );
        let body: serde_json::Value =
            serde_json::from_str(out.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["status"], 431);
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 12\r\n\r\n";
        assert!(bare_error(ours).is_none());
        assert!(bare_error(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        let pipelined = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n";
        assert!(bare_error(pipelined).is_none());
    }
}

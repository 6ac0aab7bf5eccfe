//! Successful answers as HTTP, and the encoding the engine records them in (signal log,
//! Idempotency-Key replay): Conductor's ids as `text/plain`, objects as JSON, void as an
//! empty 200, restart and retry as 204.

use super::errors::{body, status_of};
use crate::engine::{Answers, Rendered, Reply};
use crate::error::Error;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fermata_store::IdempotencyRecord;

pub const TEXT: &str = "text/plain;charset=UTF-8";
pub const JSON: &str = "application/json";

pub struct HttpAnswers;

impl Answers for HttpAnswers {
    fn reply(&self, reply: &Reply) -> Rendered {
        render(reply)
    }

    fn error(&self, error: &Error) -> Rendered {
        Rendered {
            status: status_of(error.kind).as_u16(),
            content_type: Some(JSON),
            body: body(error),
        }
    }

    fn refused(&self, first: &IdempotencyRecord) -> bool {
        refused(first)
    }
}

/// Whether the first answer to a repeated Idempotency-Key refused the request.
pub fn refused(first: &IdempotencyRecord) -> bool {
    !(200..300).contains(&first.status)
}

fn render(reply: &Reply) -> Rendered {
    let (status, content_type, body) = match reply {
        Reply::Ok => (200, None, vec![]),
        Reply::NoContent | Reply::Task(None) => (204, None, vec![]),
        Reply::Text(s) => (200, Some(TEXT), s.as_bytes().to_vec()),
        Reply::Json(v) => (200, Some(JSON), serde_json::to_vec(v).unwrap_or_default()),
        Reply::Task(Some(t)) => (200, Some(JSON), serde_json::to_vec(t).unwrap_or_default()),
        Reply::Replayed(r) => {
            let ct = match r.content_type.as_deref() {
                Some(ct) if ct.starts_with("text/") => Some(TEXT),
                Some(_) => Some(JSON),
                None => None,
            };
            (r.status, ct, r.body.clone())
        }
    };
    Rendered {
        status,
        content_type,
        body,
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let r = render(&self);
        let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK);
        match r.content_type {
            Some(ct) => (status, [("content-type", ct)], r.body).into_response(),
            None => status.into_response(),
        }
    }
}

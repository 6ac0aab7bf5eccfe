//! The only place errors become HTTP: each kind's status, and Conductor's `ErrorResponse`
//! body `{status, message, instance, retryable, validationErrors?}`.

use crate::error::{Error, ErrorKind, instance};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use fermata_core::model::validate::ValidationError;
use serde::Serialize;

pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Invalid => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::UriTooLong => StatusCode::URI_TOO_LONG,
        ErrorKind::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        ErrorKind::TooMany => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The kind of a status that arrives from the HTTP stack itself (a rejected body, a
/// framework answer), so that it is answered in the same shape.
pub fn kind_of(status: StatusCode) -> ErrorKind {
    match status.as_u16() {
        401 => ErrorKind::Unauthenticated,
        404 => ErrorKind::NotFound,
        405 => ErrorKind::MethodNotAllowed,
        409 => ErrorKind::Conflict,
        413 => ErrorKind::TooLarge,
        414 => ErrorKind::UriTooLong,
        422 => ErrorKind::Unprocessable,
        429 => ErrorKind::TooMany,
        431 => ErrorKind::HeadersTooLarge,
        503 => ErrorKind::Unavailable,
        500.. => ErrorKind::Internal,
        _ => ErrorKind::Invalid,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    status: u16,
    message: &'a str,
    instance: &'a str,
    retryable: bool,
    #[serde(skip_serializing_if = "<[ValidationError]>::is_empty")]
    validation_errors: &'a [ValidationError],
}

/// The error's body as Conductor shapes it.
pub fn body(e: &Error) -> Vec<u8> {
    serde_json::to_vec(&Body {
        status: status_of(e.kind).as_u16(),
        message: &e.message,
        instance: instance(),
        retryable: e.retryable,
        validation_errors: &e.validation_errors,
    })
    .unwrap_or_default()
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut response = (
            status_of(self.kind),
            [("content-type", "application/json")],
            body(&self),
        )
            .into_response();
        // The unread rest of an oversized body makes the connection unusable: say so, or a
        // keep-alive client sends its next request into it.
        if self.kind == ErrorKind::TooLarge {
            response
                .headers_mut()
                .insert("connection", HeaderValue::from_static("close"));
        }
        response
    }
}

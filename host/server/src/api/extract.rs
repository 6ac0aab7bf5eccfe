//! Request parsing that answers bad input in Conductor's error shape: JSON bodies (possibly
//! empty, possibly chunked, never trusted for their Content-Type), query strings with
//! case-insensitive booleans (`True` from Python), and the caller's identity.

use crate::engine::Call;
use crate::error::{Error, ErrorKind};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use std::net::SocketAddr;

async fn bytes(req: Request) -> Result<Bytes, Error> {
    Bytes::from_request(req, &()).await.map_err(|rejection| {
        match super::errors::kind_of(rejection.status()) {
            ErrorKind::TooLarge => Error::new(
                ErrorKind::TooLarge,
                "Request body is larger than this server accepts (see --max-body-bytes)",
            ),
            kind => Error::new(kind, format!("Cannot read the request body: {rejection}")),
        }
    })
}

pub fn parse_json<T: DeserializeOwned>(raw: &[u8]) -> Result<T, Error> {
    if let Some(problem) = fermata_core::limits::check_raw_json(raw) {
        return Err(Error::bad_request(format!("Invalid JSON body: {problem}")));
    }
    let mut de = serde_json::Deserializer::from_slice(raw);
    serde_path_to_error::deserialize(&mut de)
        .map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path == "." || path == "?" || path.is_empty() {
                Error::bad_request(format!("Invalid JSON body: {inner}"))
            } else {
                Error::bad_request(format!("Invalid JSON body at '{path}': {inner}"))
            }
        })
        .and_then(|v| {
            de.end()
                .map_err(|e| Error::bad_request(format!("Invalid JSON body: {e}")))
                .map(|_| v)
        })
}

/// A required JSON body.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Error;
    async fn from_request(req: Request, _: &S) -> Result<Self, Error> {
        let raw = bytes(req).await?;
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::bad_request("A JSON request body is required"));
        }
        parse_json(&raw).map(Body)
    }
}

/// A JSON body that may be absent: the SDKs send `{}`, nothing at all, or chunked nothing on
/// the same endpoints.
pub struct OptBody<T>(pub Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptBody<T> {
    type Rejection = Error;
    async fn from_request(req: Request, _: &S) -> Result<Self, Error> {
        let raw = bytes(req).await?;
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptBody(None));
        }
        parse_json(&raw).map(|v| OptBody(Some(v)))
    }
}

/// The raw body as it came (a webhook delivery, whose signature covers the exact bytes),
/// within the same size limit as every body.
pub struct Raw(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Raw {
    type Rejection = Error;
    async fn from_request(req: Request, _: &S) -> Result<Self, Error> {
        bytes(req).await.map(Raw)
    }
}

/// The raw body as text (task logs).
pub struct Text(pub String);

impl<S: Send + Sync> FromRequest<S> for Text {
    type Rejection = Error;
    async fn from_request(req: Request, _: &S) -> Result<Self, Error> {
        let raw = bytes(req).await?;
        String::from_utf8(raw.to_vec())
            .map(Text)
            .map_err(|_| Error::bad_request("The request body is not UTF-8 text"))
    }
}

/// Query parameters; unknown ones are ignored, malformed ones are a 400.
pub struct Q<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Q<T> {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Q(v))
            .map_err(|e| Error::bad_request(format!("Invalid query parameters: {}", e.body_text())))
    }
}

/// Spring's boolean conversion: true/false, on/off, yes/no, 1/0, any case.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let Some(s) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    match s.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "true" | "on" | "yes" | "1" => Ok(Some(true)),
        "false" | "off" | "no" | "0" => Ok(Some(false)),
        _ => Err(serde::de::Error::custom(format!("'{s}' is not a boolean"))),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Call {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        let caller = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        let idempotency_key = match parts.headers.get("idempotency-key") {
            None => None,
            Some(v) => {
                let key = v
                    .to_str()
                    .map_err(|_| Error::bad_request("Idempotency-Key must be visible ASCII"))?
                    .trim();
                if key.is_empty() || key.len() > 255 {
                    return Err(Error::bad_request(
                        "Idempotency-Key must be 1 to 255 characters",
                    ));
                }
                Some(key.to_string())
            }
        };
        Ok(Call {
            caller,
            idempotency_key,
            fingerprint: format!("{} {}", parts.method, parts.uri.path()),
        })
    }
}

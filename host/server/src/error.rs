//! The one error type of the host: what went wrong, as a kind the engine chooses and the
//! API alone turns into an HTTP status (`api::errors`), with Conductor's message.

use fermata_core::model::validate::ValidationError;
use fermata_core::{EngineError, ErrorKind as DecisionError};
use fermata_store::StoreError;
use std::sync::OnceLock;

static INSTANCE: OnceLock<String> = OnceLock::new();

/// The `instance` field of error bodies: this server's identity.
pub fn instance() -> &'static str {
    INSTANCE.get_or_init(|| {
        std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "fermata".to_string())
    })
}

/// What kind of failure: the caller's request, the target's state, or the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request is malformed or breaks a rule.
    Invalid,
    /// The request's credentials (a webhook's signature or token) do not hold.
    Unauthenticated,
    NotFound,
    /// The path exists, not for this method.
    MethodNotAllowed,
    /// The target's state does not allow it now.
    Conflict,
    /// Understood but refused as sent: an idempotency key reused for another request.
    Unprocessable,
    /// A body past what the server accepts.
    TooLarge,
    /// A request line past what the server accepts.
    UriTooLong,
    /// Request headers past what the server accepts.
    HeadersTooLarge,
    /// A bound on what a caller may hold or send at once.
    TooMany,
    /// The server, or what it depends on, cannot serve this now.
    Unavailable,
    /// A failure of the server.
    Internal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// Whether the same request may succeed later.
    pub retryable: bool,
    pub validation_errors: Vec<ValidationError>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            retryable: false,
            validation_errors: vec![],
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Invalid, message)
    }
    pub fn not_found(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::NotFound, message)
    }
    pub fn conflict(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Conflict, message)
    }
    pub fn too_many(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::TooMany, message)
    }
    pub fn validation(errors: Vec<ValidationError>) -> Error {
        Error {
            validation_errors: errors,
            ..Error::bad_request("Validation failed, check below errors for detail.")
        }
    }
    pub fn internal(message: impl Into<String>) -> Error {
        Error {
            retryable: true,
            ..Error::new(ErrorKind::Internal, message)
        }
    }
    /// A failure of the server that repeating the request cannot fix.
    pub fn server(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Internal, message)
    }
    /// The execution itself cannot be processed (its stored data cannot be read, or deciding
    /// it fails): a [`Error::persistent`] failure.
    pub fn unprocessable(workflow_id: &str, problem: impl std::fmt::Display) -> Error {
        Error::server(format!(
            "Workflow {workflow_id} cannot be processed: {problem}"
        ))
    }
    /// Whether the engine's own loops should stop retrying the execution this came from:
    /// processing it fails the same way every time.
    pub fn persistent(&self) -> bool {
        self.kind == ErrorKind::Internal && !self.retryable
    }
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }
    pub fn workflow_not_found(id: &str) -> Error {
        Error::not_found(format!("No such workflow found by id: {id}"))
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl From<EngineError> for Error {
    fn from(e: EngineError) -> Error {
        let kind = match e.kind {
            DecisionError::BadRequest => ErrorKind::Invalid,
            DecisionError::NotFound => ErrorKind::NotFound,
            DecisionError::Conflict => ErrorKind::Conflict,
            DecisionError::Full => ErrorKind::TooMany,
        };
        Error::new(kind, e.message)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        match e {
            StoreError::AlreadyExists(m) => Error::conflict(m),
            StoreError::NotFound(m) => Error::not_found(m),
            StoreError::Invalid(m) => Error::bad_request(m),
            StoreError::Conflict(id) => Error {
                retryable: true,
                ..Error::conflict(format!(
                    "Workflow {id} is being changed by another request; try again"
                ))
            },
            StoreError::Corrupt(m) => {
                tracing::error!(error = %m, "stored data cannot be read");
                Error::server(format!("stored data cannot be read: {m}"))
            }
            other if other.is_transient() => {
                tracing::warn!(error = %other, "store failure");
                Error::internal(other.to_string())
            }
            other => {
                tracing::error!(error = %other, "store failure");
                Error::server(other.to_string())
            }
        }
    }
}

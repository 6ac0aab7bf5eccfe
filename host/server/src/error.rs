//! The one error type of the host, rendered in Conductor's `ErrorResponse` shape:
//! `{status, message, instance, retryable, validationErrors?}`.

use fermata_core::model::validate::ValidationError;
use fermata_core::{EngineError, ErrorKind};
use fermata_store::StoreError;
use serde::Serialize;
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

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Error {
    pub status: u16,
    pub message: String,
    pub instance: String,
    pub retryable: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub validation_errors: Vec<ValidationError>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(status: u16, message: impl Into<String>) -> Error {
        Error {
            status,
            message: message.into(),
            instance: instance().to_string(),
            retryable: false,
            validation_errors: vec![],
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Error {
        Error::new(400, message)
    }
    pub fn not_found(message: impl Into<String>) -> Error {
        Error::new(404, message)
    }
    pub fn conflict(message: impl Into<String>) -> Error {
        Error::new(409, message)
    }
    pub fn validation(errors: Vec<ValidationError>) -> Error {
        Error {
            validation_errors: errors,
            ..Error::new(400, "Validation failed, check below errors for detail.")
        }
    }
    pub fn internal(message: impl Into<String>) -> Error {
        Error {
            retryable: true,
            ..Error::new(500, message)
        }
    }
    /// A failure of the server that repeating the request cannot fix.
    pub fn server(message: impl Into<String>) -> Error {
        Error::new(500, message)
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
        self.status >= 500 && !self.retryable
    }
    pub fn workflow_not_found(id: &str) -> Error {
        Error::not_found(format!("No such workflow found by id: {id}"))
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl From<EngineError> for Error {
    fn from(e: EngineError) -> Error {
        let status = match e.kind {
            ErrorKind::BadRequest => 400,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::Full => 429,
        };
        Error::new(status, e.message)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        match e {
            StoreError::AlreadyExists(m) => Error::conflict(m),
            StoreError::NotFound(m) => Error::not_found(m),
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

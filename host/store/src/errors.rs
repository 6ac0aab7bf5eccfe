//! The drivers' errors as [`StoreError`]s: no sqlx type leaves the store, and each error
//! says whether the same operation may succeed later.

use crate::StoreError;
use sqlx::migrate::{MigrateError, Migrator};

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        StoreError::from(&e)
    }
}

impl From<&sqlx::Error> for StoreError {
    fn from(e: &sqlx::Error) -> StoreError {
        let transient = match e {
            sqlx::Error::Database(db) => {
                if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                    match postgres_class(pg.code()) {
                        PgClass::Conflict => return StoreError::Conflict(pg.message().to_string()),
                        PgClass::Unstorable => {
                            return StoreError::Invalid(format!(
                                "a value cannot be stored: {} (a NUL character, \\u0000, is not accepted in names, ids and texts)",
                                pg.message()
                            ));
                        }
                        PgClass::Transient => true,
                        PgClass::Persistent => false,
                    }
                } else {
                    // SQLite's primary result codes: BUSY, LOCKED, IOERR, FULL, CANTOPEN.
                    let code = db.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0);
                    matches!(code & 0xff, 5 | 6 | 10 | 13 | 14)
                }
            }
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
            _ => false,
        };
        StoreError::Database {
            message: e.to_string(),
            transient,
        }
    }
}

enum PgClass {
    /// Two transactions collided: applying the change again from a fresh load is right.
    Conflict,
    /// The request carried a value the database cannot keep.
    Unstorable,
    Transient,
    Persistent,
}

/// What a Postgres SQLSTATE means for the caller.
fn postgres_class(sqlstate: &str) -> PgClass {
    match sqlstate {
        // serialization_failure, deadlock_detected
        "40001" | "40P01" => PgClass::Conflict,
        // connection exceptions, insufficient resources, operator intervention (a restart),
        // lock_not_available
        s if s.starts_with("08") || s.starts_with("53") || s.starts_with("57") => {
            PgClass::Transient
        }
        "55P03" => PgClass::Transient,
        // character_not_in_repertoire (a NUL in text), untranslatable_character
        "22021" | "22P05" => PgClass::Unstorable,
        _ => PgClass::Persistent,
    }
}

/// A failed migration; a database migrated by a newer fermata names both versions.
pub(crate) fn migration(e: MigrateError, known: &Migrator) -> StoreError {
    match e {
        MigrateError::VersionMissing(found) => StoreError::TooNew {
            found,
            known: known.iter().map(|m| m.version).max().unwrap_or_default(),
        },
        other => StoreError::Migration(other.to_string()),
    }
}

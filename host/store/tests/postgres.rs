//! The store conformance suite against a real Postgres: `FERMATA_TEST_POSTGRES` names a
//! server the tests may create databases on (`tests/postgres.sh start DIR` starts one, and
//! `tests/run.sh` does so); each check gets a database of its own.

#[macro_use]
mod conformance;

use fermata_store::{PgOptions, PgStore};
use sqlx::Connection;

conformance_tests!(postgres, || async { store().await });

async fn store() -> ((), PgStore) {
    let url = fresh_database().await;
    let store = PgStore::open(&url, PgOptions::default())
        .await
        .unwrap_or_else(|e| panic!("opening {url}: {e}"));
    ((), store)
}

/// A new, empty database on the test server; its URL.
async fn fresh_database() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let admin = std::env::var("FERMATA_TEST_POSTGRES").expect(
        "FERMATA_TEST_POSTGRES is not set: start a throwaway server with `tests/postgres.sh start target/pg` and export the URL it prints (tests/run.sh does both)",
    );
    let name = format!(
        "store_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("connecting to {admin}: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let (server, _) = admin.rsplit_once('/').expect("a URL with a database name");
    format!("{server}/{name}")
}

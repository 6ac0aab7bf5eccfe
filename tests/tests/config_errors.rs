//! A start that cannot go on says why in one line, what to do about it, and exits non-zero:
//! an unknown URL scheme, a database that cannot be opened, one migrated by a newer fermata.

use fermata_tests::{Server, binary};
use std::process::Command;

/// Run `fermata serve` with these arguments until it exits; its status and stderr.
fn serve(args: &[&str]) -> (i32, String) {
    let out = Command::new(binary())
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env("FERMATA_LOG", "off")
        .output()
        .expect("run fermata");
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    (out.status.code().unwrap_or(-1), stderr)
}

fn refused(args: &[&str], expected: &str) {
    let (code, stderr) = serve(args);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("fermata: "), "{stderr}");
    assert!(stderr.contains(expected), "{stderr}");
}

#[test]
fn an_unknown_scheme_is_refused_with_what_to_use() {
    refused(
        &["--database-url", "mysql://db/fermata"],
        "unknown database URL scheme 'mysql'; use sqlite://PATH or postgres://",
    );
}

#[test]
fn an_unreachable_postgres_is_named_without_its_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Nothing listens on the port once the listener is dropped.
    let url = format!("postgres://fermata:s3cret@127.0.0.1:{port}/fermata");
    let (code, stderr) = serve(&["--database-url", &url]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("cannot reach the Postgres database postgres://fermata@127.0.0.1:"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("s3cret"),
        "the password is not shown: {stderr}"
    );
}

#[tokio::test]
async fn a_postgres_database_migrated_by_a_newer_fermata_is_refused_untouched() {
    let mut s = fermata_tests::Server::start_on(fermata_tests::Backend::Postgres, &[]).await;
    s.define(fermata_tests::three_task_def("kept")).await;
    s.terminate();
    let url = s.database_url.clone();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (9999, 'from the future', true, '\\x00', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    refused(
        &["--database-url", &url],
        "migrated by a newer fermata (schema version 9999",
    );
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM workflow_defs WHERE name = 'kept'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(kept, 1);
    pool.close().await;
}

#[test]
fn a_database_that_cannot_be_opened_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite://{}/no/such/dir/f.db", dir.path().display());
    refused(
        &["--database-url", &missing],
        "cannot open the SQLite database",
    );
}

#[tokio::test]
async fn a_second_host_on_one_sqlite_file_is_refused() {
    let s = Server::start_sqlite_with(&[]).await;
    refused(
        &["--database-url", &s.database_url],
        "is in use by another fermata: a SQLite file serves one host",
    );
    // The first goes on serving.
    assert_eq!(s.get("/metadata/workflow").await.status, 200);
}

#[tokio::test]
async fn a_database_migrated_by_a_newer_fermata_is_refused_untouched() {
    let mut s = Server::start_sqlite_with(&[]).await;
    s.define(fermata_tests::three_task_def("kept")).await;
    s.terminate();
    let db = s.dir.path().join("fermata.db");
    let url = format!("sqlite://{}", db.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (9999, 'from the future', 1, x'00', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    refused(
        &["--database-url", &url],
        "migrated by a newer fermata (schema version 9999",
    );
    // Nothing was changed: the definition is still there for the newer fermata.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM workflow_defs WHERE name = 'kept'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(kept, 1);
}

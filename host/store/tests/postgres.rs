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

/// Hosts on one database hear each other's commits, once durable, and not their own.
#[tokio::test]
async fn a_commit_wakes_the_other_hosts_not_its_own() {
    use fermata_store::{Commit, QueueOp, Wakeup, Wakeups};
    let url = fresh_database().await;
    let here = PgStore::open(&url, PgOptions::default()).await.unwrap();
    let there = PgStore::open(&url, PgOptions::default()).await.unwrap();
    let mut heard_here = here.listen().await.unwrap().expect("Postgres hosts listen");
    let mut heard_there = there
        .listen()
        .await
        .unwrap()
        .expect("Postgres hosts listen");
    let wakeup = Wakeup {
        executions: vec!["w1".into()],
        queues: vec!["q".into()],
        deadline: Some(42),
        events: true,
        messages: false,
    };
    use fermata_store::Executions;
    here.commit(Commit {
        queue: vec![QueueOp::Push {
            task_id: "t1".into(),
            queue: "q".into(),
            workflow_id: "w1".into(),
            visible_at: 0,
        }],
        wakeup: Some(wakeup.clone()),
        ..Default::default()
    })
    .await
    .unwrap();
    let got = tokio::time::timeout(std::time::Duration::from_secs(5), heard_there.recv())
        .await
        .expect("the other host hears the commit")
        .unwrap();
    assert_eq!(got, wakeup);
    // A commit that fails (a stale write) announces nothing.
    let failed = here
        .commit(Commit {
            delivered: vec![12345],
            wakeup: Some(Wakeup::default()),
            ..Default::default()
        })
        .await;
    assert!(failed.is_err());
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(500), heard_there.recv())
            .await
            .is_err(),
        "nothing heard of a commit that failed"
    );
    assert!(
        heard_here.try_recv().is_err(),
        "a host does not hear itself"
    );
}

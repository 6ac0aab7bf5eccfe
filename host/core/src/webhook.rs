//! Incoming webhooks (reference conductor-signals-extra §2): Orkes' `WebhookConfig`, the
//! record of each delivery, and the pure half of matching — which `WAIT_FOR_WEBHOOK` task a
//! delivery's body completes. Verifying signatures and applying the matches is the engine's.

use crate::expr::read_path;
use crate::model::{IdempotencyStrategy, Json, StartWorkflowRequest};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The task type a delivery completes.
pub const WAIT_FOR_WEBHOOK: &str = "WAIT_FOR_WEBHOOK";

/// What the API shows in place of a secret.
pub const MASK: &str = "***";

/// The verifiers fermata implements (Orkes also has TWITTER and SENDGRID).
pub const VERIFIERS: [&str; 5] = [
    "HEADER_BASED",
    "HMAC_BASED",
    "SIGNATURE_BASED",
    "STRIPE",
    "SLACK_BASED",
];

/// Orkes' `WebhookConfig`. Unknown fields (`tags`, ...) are kept as they came.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookConfig {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub source_platform: Option<String>,
    #[serde(default)]
    pub verifier: Option<String>,
    /// The header carrying the signature (HMAC_BASED, SIGNATURE_BASED, STRIPE).
    #[serde(default)]
    pub header_key: Option<String>,
    #[serde(default)]
    pub secret_key: Option<String>,
    #[serde(default)]
    pub secret_value: Option<String>,
    /// HEADER_BASED: every one must come with exactly this value.
    #[serde(default)]
    pub headers: Option<Map<String, Value>>,
    /// Workflow name → version whose WAIT_FOR_WEBHOOK tasks a delivery may complete.
    #[serde(default)]
    pub receiver_workflow_names_to_versions: Option<Map<String, Value>>,
    /// Workflow name → version started with each delivery as input, plus the reserved keys
    /// `idempotencyKey` and `idempotencyStrategy`.
    #[serde(default)]
    pub workflows_to_start: Option<Map<String, Value>>,
    #[serde(default)]
    pub url_verified: bool,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub expression: Option<String>,
    #[serde(default)]
    pub evaluator_type: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl WebhookConfig {
    /// The verifier, upper-cased.
    pub fn verifier(&self) -> String {
        self.verifier
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_ascii_uppercase()
    }

    /// The receiver workflows: (name, version), `None` version meaning any.
    pub fn receivers(&self) -> Vec<(String, Option<i32>)> {
        versions(self.receiver_workflow_names_to_versions.as_ref(), false)
    }

    /// The workflows each delivery starts: (name, version).
    pub fn starts(&self) -> Vec<(String, Option<i32>)> {
        versions(self.workflows_to_start.as_ref(), true)
    }

    /// The config as the API shows it: secrets masked, and so are the values of a
    /// HEADER_BASED webhook's headers, which are its token.
    pub fn masked(mut self) -> Self {
        if self.secret_value.is_some() {
            self.secret_value = Some(MASK.into());
        }
        for value in self.headers.iter_mut().flat_map(|h| h.values_mut()) {
            *value = Value::String(MASK.into());
        }
        self
    }

    /// Secrets sent back masked keep what `old` holds: the secret, and each header whose
    /// value is the mask.
    pub fn keep_secrets_of(&mut self, old: &WebhookConfig) {
        if self.secret_value.as_deref().is_none_or(|s| s == MASK) {
            self.secret_value = old.secret_value.clone();
        }
        let old_headers = old.headers.as_ref();
        for (name, value) in self.headers.iter_mut().flat_map(|h| h.iter_mut()) {
            if value.as_str() == Some(MASK)
                && let Some(kept) = old_headers.and_then(|h| h.get(name))
            {
                *value = kept.clone();
            }
        }
    }
}

const RESERVED: [&str; 2] = ["idempotencyKey", "idempotencyStrategy"];

fn versions(map: Option<&Map<String, Value>>, skip_reserved: bool) -> Vec<(String, Option<i32>)> {
    map.into_iter()
        .flatten()
        .filter(|(name, _)| !(skip_reserved && RESERVED.contains(&name.as_str())))
        .map(|(name, v)| (name.clone(), version_of(v)))
        .collect()
}

fn version_of(v: &Value) -> Option<i32> {
    match v {
        Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Why a config cannot be saved, if it cannot (Orkes' and OSS's messages where they have one).
pub fn check(c: &WebhookConfig) -> Result<(), String> {
    if c.name.trim().is_empty() {
        return Err("name is required".into());
    }
    if let Some(problem) =
        crate::limits::check_names([("name", Some(c.name.as_str())), ("id", c.id.as_deref())])
    {
        return Err(problem);
    }
    if c.id.as_deref().is_some_and(|id| {
        id.is_empty()
            || !id
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
    }) {
        return Err("id may hold only letters, digits, '-', '_' and '.'".into());
    }
    if c.expression
        .as_deref()
        .is_some_and(|e| !e.trim().is_empty())
    {
        return Err("expression is not supported by fermata: name the workflows in receiverWorkflowNamesToVersions and workflowsToStart".into());
    }
    let verifier = c.verifier();
    if verifier.is_empty() {
        return Err("verifier is required".into());
    }
    if !VERIFIERS.contains(&verifier.as_str()) {
        return Err(format!(
            "verifier {verifier} is not supported; use one of {}",
            VERIFIERS.join(", ")
        ));
    }
    let secret = c.secret_value.as_deref().is_some_and(|s| !s.is_empty());
    match verifier.as_str() {
        "HEADER_BASED" => {
            let headers =
                c.headers.as_ref().filter(|h| !h.is_empty()).ok_or(
                    "At least one header must be present for header-based webhook verifier",
                )?;
            if let Some((k, _)) = headers.iter().find(|(_, v)| !v.is_string()) {
                return Err(format!("headers.{k} must be a string"));
            }
        }
        "HMAC_BASED" | "SIGNATURE_BASED" => {
            if c.header_key.as_deref().is_none_or(|h| h.trim().is_empty()) {
                return Err(format!("headerKey is required for the {verifier} verifier"));
            }
            if !secret {
                return Err(format!(
                    "secretValue is required for the {verifier} verifier"
                ));
            }
        }
        _ if !secret => {
            return Err(format!(
                "secretValue is required for the {verifier} verifier"
            ));
        }
        _ => {}
    }
    let receivers = c.receivers();
    let starts = c.starts();
    if receivers.is_empty() && starts.is_empty() {
        return Err(
            "Either a script expression, receiver workflow or a workflow to start MUST be provided"
                .into(),
        );
    }
    for (field, map, list) in [
        (
            "receiverWorkflowNamesToVersions",
            &c.receiver_workflow_names_to_versions,
            &receivers,
        ),
        ("workflowsToStart", &c.workflows_to_start, &starts),
    ] {
        for (name, version) in list {
            let raw = map.as_ref().and_then(|m| m.get(name));
            if version.is_none() && !raw.is_some_and(Value::is_null) {
                return Err(format!("{field}.{name} must be a version number"));
            }
        }
    }
    if let Some(Value::String(s)) = c
        .workflows_to_start
        .as_ref()
        .and_then(|m| m.get("idempotencyStrategy"))
        && serde_json::from_value::<IdempotencyStrategy>(Value::String(s.clone())).is_err()
    {
        return Err(format!(
            "workflowsToStart.idempotencyStrategy '{s}' is not one of FAIL, RETURN_EXISTING, FAIL_ON_RUNNING"
        ));
    }
    Ok(())
}

/// The start requests one delivery makes: the payload as input, the idempotency key
/// (`${workflow.input.x}` read from the payload) and strategy when configured.
pub fn start_requests(c: &WebhookConfig, payload: &Json) -> Vec<StartWorkflowRequest> {
    let reserved = |k: &str| c.workflows_to_start.as_ref().and_then(|m| m.get(k));
    let key = match reserved("idempotencyKey") {
        Some(Value::String(k)) => Some(substitute(k, payload)).filter(|k| !k.is_empty()),
        _ => None,
    };
    let strategy = reserved("idempotencyStrategy")
        .cloned()
        .and_then(|s| serde_json::from_value(s).ok())
        .unwrap_or_default();
    c.starts()
        .into_iter()
        .map(|(name, version)| StartWorkflowRequest {
            name: Some(name),
            version,
            input: Some(payload.clone()),
            created_by: c.created_by.clone(),
            idempotency_key: key.clone(),
            idempotency_strategy: strategy,
            ..Default::default()
        })
        .collect()
}

/// `${workflow.input.path}` in `text` replaced by that value of the payload.
fn substitute(text: &str, payload: &Json) -> String {
    let doc = Value::Object(payload.clone());
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("${workflow.input.") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "${workflow.input.".len()..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[at..]);
            return out;
        };
        match read_path(&doc, &after[..end]) {
            Value::Null => {}
            Value::String(s) => out.push_str(&s),
            other => out.push_str(&other.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// What a delivery's body becomes as task output and workflow input: a JSON object as it
/// is, any other JSON value or text that is not JSON under `request` (OSS loops forever on
/// a body that is not JSON; fermata keeps it as text).
pub fn payload(body: &[u8]) -> Json {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => m,
        Ok(other) => Json::from_iter([("request".to_string(), other)]),
        Err(_) => Json::from_iter([(
            "request".to_string(),
            Value::String(String::from_utf8_lossy(body).into_owned()),
        )]),
    }
}

/// The `matches` of a WAIT_FOR_WEBHOOK task from its resolved input: `matches`, or the whole
/// input when it has none (the JS SDK spreads the matches into `inputParameters`). `None`
/// when there is nothing to match: such a task fails (OSS: "Webhook task missing matches
/// field").
pub fn wait_matches(input: &Json) -> Option<Json> {
    let matches = match input.get("matches") {
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return None,
        None => input.clone(),
    };
    (!matches.is_empty()).then_some(matches)
}

/// Whether every `path → expected` of `matches` holds over `doc`. A path selecting several
/// values is read as its first (OSS); values compare as JSON, and a scalar also by its text
/// (`5` matches `"5"`), as OSS compares strings.
pub fn holds(matches: &Json, doc: &Value) -> bool {
    matches.iter().all(|(path, expected)| {
        let value = match read_path(doc, path) {
            Value::Array(values) if is_list_path(path) => match values.into_iter().next() {
                Some(v) => v,
                None => return false,
            },
            v => v,
        };
        value == *expected || scalar_text(&value).is_some_and(|t| Some(t) == scalar_text(expected))
    })
}

fn is_list_path(path: &str) -> bool {
    path.contains('*') || path.contains("..") || path.contains("?(") || path.contains(':')
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// One delivery as recorded: Orkes' `webhookExecutionHistory` entry (`eventId`, `matched`,
/// `payload`, `timeStamp`, `workflowIds`) plus why it was refused and what it did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    pub event_id: String,
    pub webhook_id: String,
    /// Epoch ms.
    pub time_stamp: i64,
    /// ACCEPTED or REJECTED.
    pub outcome: String,
    /// The HTTP status the sender got.
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Whether it completed a task or started a workflow.
    pub matched: bool,
    /// WAIT_FOR_WEBHOOK tasks completed.
    #[serde(default)]
    pub task_ids: Vec<String>,
    /// Executions whose task it completed, then those it started.
    #[serde(default)]
    pub workflow_ids: Vec<String>,
    #[serde(default)]
    pub started_workflow_ids: Vec<String>,
    /// What went wrong completing or starting (a task that ended meanwhile, a missing
    /// definition).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Json {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn matches_by_value_and_by_text() {
        let doc = json!({"event": {"type": "push", "n": 5, "list": ["a", "b"]}});
        assert!(holds(&obj(json!({"$['event']['type']": "push"})), &doc));
        assert!(holds(
            &obj(json!({"$.event.n": "5", "event.type": "push"})),
            &doc
        ));
        assert!(holds(&obj(json!({"$.event.list[*]": "a"})), &doc));
        assert!(!holds(&obj(json!({"$.event.type": "pull"})), &doc));
        assert!(!holds(&obj(json!({"$.event.missing": "x"})), &doc));
        assert!(!holds(
            &obj(json!({"$.event.type": "push", "$.event.n": 6})),
            &doc
        ));
    }

    #[test]
    fn matches_come_from_matches_or_the_whole_input() {
        assert_eq!(
            wait_matches(&obj(json!({"matches": {"$.a": 1}}))),
            Some(obj(json!({"$.a": 1})))
        );
        assert_eq!(
            wait_matches(&obj(json!({"$.a": 1}))),
            Some(obj(json!({"$.a": 1})))
        );
        assert_eq!(wait_matches(&obj(json!({}))), None);
        assert_eq!(wait_matches(&obj(json!({"matches": {}}))), None);
    }

    #[test]
    fn payloads_and_starts() {
        assert_eq!(payload(b"{\"a\":1}"), obj(json!({"a": 1})));
        assert_eq!(payload(b"[1]"), obj(json!({"request": [1]})));
        assert_eq!(payload(b"hi"), obj(json!({"request": "hi"})));
        let c: WebhookConfig = serde_json::from_value(json!({
            "name": "w", "verifier": "HEADER_BASED", "headers": {"X-Token": "t"},
            "workflowsToStart": {"flow": 2, "idempotencyKey": "order-${workflow.input.id}",
                                 "idempotencyStrategy": "RETURN_EXISTING"}
        }))
        .unwrap();
        assert_eq!(check(&c), Ok(()));
        let starts = start_requests(&c, &obj(json!({"id": 7})));
        assert_eq!(starts.len(), 1);
        assert_eq!(starts[0].name.as_deref(), Some("flow"));
        assert_eq!(starts[0].version, Some(2));
        assert_eq!(starts[0].idempotency_key.as_deref(), Some("order-7"));
        assert_eq!(
            starts[0].idempotency_strategy,
            IdempotencyStrategy::ReturnExisting
        );
    }

    #[test]
    fn configs_are_checked() {
        let bad = |v: Value| check(&serde_json::from_value(v).unwrap()).unwrap_err();
        assert!(bad(json!({"verifier": "HEADER_BASED"})).contains("name"));
        assert!(
            bad(json!({"name": "w", "verifier": "HEADER_BASED",
                       "receiverWorkflowNamesToVersions": {"f": 1}}))
            .contains("At least one header")
        );
        assert!(
            bad(
                json!({"name": "w", "verifier": "SIGNATURE_BASED", "headerKey": "X-Sig",
                       "receiverWorkflowNamesToVersions": {"f": 1}})
            )
            .contains("secretValue")
        );
        assert!(
            bad(json!({"name": "w", "verifier": "TWITTER", "secretValue": "s"}))
                .contains("not supported")
        );
        assert!(
            bad(json!({"name": "w", "verifier": "STRIPE", "secretValue": "s"}))
                .contains("MUST be provided")
        );
    }
}

//! HTTP (reference §4.2): the request comes from `http_request`, or from the input itself
//! (the flat form). The host performs the call (its egress allow-list applies); this plugin
//! shapes the request and the `response` output, and decides success: 2xx completes,
//! anything else fails with the status and body in the reason and keeps the response map.

// The plugin type is only used by the component's export (see the bottom of this file).
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use fermata_plugin::http::{self, HttpError, Request};
use fermata_plugin::{
    Capability, Guest, Map, Outcome, PluginInfo, TaskContext, Value, completed, failed, json,
    number, to_text,
};

const METHODS: [&str; 8] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE",
];
/// Conductor's effective defaults (the input class's, not the docs' 100/150 ms).
const DEFAULT_TIMEOUT_MS: i64 = 3000;

struct Http;

impl Guest for Http {
    fn describe() -> PluginInfo {
        PluginInfo {
            task_type: "HTTP".into(),
            description: "Call an HTTP endpoint".into(),
            capabilities: vec![Capability::Http],
        }
    }

    fn execute(_ctx: TaskContext, input: String) -> Outcome {
        let input = fermata_plugin::input(&input);
        let request = match build_request(&input) {
            Ok(r) => r,
            Err(reason) => return failed(reason, json!({})),
        };
        match http::send(&request) {
            Ok(resp) => {
                let response = response_map(resp.status, &resp.reason, &resp.headers, &resp.body);
                let output = json!({ "response": response });
                if (200..300).contains(&resp.status) {
                    completed(output)
                } else {
                    let body = String::from_utf8_lossy(&resp.body);
                    failed(
                        format!("HTTP {} {}: {}", resp.status, resp.reason, body.trim()),
                        output,
                    )
                }
            }
            Err(HttpError::Denied(reason)) => failed(reason, json!({})),
            Err(HttpError::Timeout(m) | HttpError::InvalidRequest(m) | HttpError::Failed(m)) => {
                failed(format!("Failed to invoke HTTP task due to: {m}"), json!({}))
            }
        }
    }
}

// Exported only in the component: natively (unit tests) the export symbols cannot link.
#[cfg(target_arch = "wasm32")]
fermata_plugin::export_plugin!(Http);

pub fn build_request(input: &Map<String, Value>) -> Result<Request, String> {
    let spec = match input.get("http_request") {
        Some(Value::Object(m)) => m,
        _ => input,
    };
    let uri = spec
        .get("uri")
        .and_then(Value::as_str)
        .filter(|u| !u.trim().is_empty())
        .ok_or("Missing HTTP URI.  See documentation for HttpTask for required input parameters")?;
    let method = spec
        .get("method")
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase)
        .filter(|m| !m.is_empty())
        .ok_or("No HTTP method specified")?;
    if !METHODS.contains(&method.as_str()) {
        return Err(format!("Unsupported HTTP method: {method}"));
    }
    let content_type = spec
        .get("contentType")
        .and_then(Value::as_str)
        .unwrap_or("application/json");
    let accept = match spec.get("accept") {
        Some(Value::Array(items)) => items.iter().map(to_text).collect::<Vec<_>>().join(", "),
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => "application/json".into(),
    };
    let mut headers = vec![("Accept".to_string(), accept)];
    let mut has_content_type = false;
    if let Some(Value::Object(h)) = spec.get("headers") {
        for (name, value) in h {
            if value.is_null() {
                continue;
            }
            has_content_type |= name.eq_ignore_ascii_case("content-type");
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            headers.push((name.clone(), to_text(value)));
        }
    }
    let body = match spec.get("body") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone().into_bytes()),
        Some(other) => Some(other.to_string().into_bytes()),
    };
    if body.is_some() && !has_content_type {
        headers.push(("Content-Type".into(), content_type.to_string()));
    }
    let timeout = |key: &str| {
        number(spec, key)
            .filter(|t| *t > 0)
            .unwrap_or(DEFAULT_TIMEOUT_MS)
            .min(u32::MAX.into()) as u32
    };
    Ok(Request {
        method,
        uri: uri.trim().to_string(),
        headers,
        body,
        connect_timeout_ms: timeout("connectionTimeOut"),
        read_timeout_ms: timeout("readTimeOut"),
    })
}

/// `{statusCode, reasonPhrase, headers: {name: [values]}, body}` with the body parsed as
/// Conductor does: objects and arrays as JSON, numbers as doubles, other JSON scalars as
/// their text, anything else as the raw string, nothing as null.
pub fn response_map(status: u16, reason: &str, headers: &[(String, String)], body: &[u8]) -> Value {
    let mut by_name: Map<String, Value> = Map::new();
    for (name, value) in headers {
        match by_name.entry(name.clone()).or_insert_with(|| json!([])) {
            Value::Array(values) => values.push(Value::String(value.clone())),
            _ => unreachable!("header entries are lists"),
        }
    }
    json!({
        "statusCode": status,
        "reasonPhrase": reason,
        "headers": by_name,
        "body": parse_body(body),
    })
}

pub fn parse_body(body: &[u8]) -> Value {
    let text = String::from_utf8_lossy(body);
    if text.trim().is_empty() {
        return Value::Null;
    }
    match fermata_plugin::serde_json::from_str::<Value>(&text) {
        Ok(v @ (Value::Object(_) | Value::Array(_))) => v,
        Ok(Value::Number(n)) => n.as_f64().map_or(Value::Null, |f| json!(f)),
        Ok(Value::String(s)) => Value::String(s),
        Ok(other) => Value::String(other.to_string()),
        Err(_) => Value::String(text.into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(v: Value) -> Result<Request, String> {
        build_request(v.as_object().unwrap())
    }

    #[test]
    fn nested_and_flat_requests() {
        let r = req(json!({"http_request": {"uri": "http://x/a", "method": "post", "body": {"k": 1},
                                            "headers": {"X-N": 5, "X-Null": null}, "connectionTimeOut": 100, "readTimeOut": "250"}}))
        .unwrap();
        assert_eq!((r.method.as_str(), r.uri.as_str()), ("POST", "http://x/a"));
        assert_eq!(r.body.as_deref(), Some(&b"{\"k\":1}"[..]));
        assert!(r.headers.contains(&("X-N".into(), "5".into())));
        assert!(
            r.headers
                .contains(&("Content-Type".into(), "application/json".into()))
        );
        assert!(!r.headers.iter().any(|(n, _)| n == "X-Null"));
        assert_eq!((r.connect_timeout_ms, r.read_timeout_ms), (100, 250));
        let flat = req(json!({"uri": "http://x", "method": "GET", "accept": ["text/plain", "application/json"]})).unwrap();
        assert_eq!(
            flat.headers[0],
            ("Accept".into(), "text/plain, application/json".into())
        );
        assert_eq!(
            (flat.connect_timeout_ms, flat.read_timeout_ms),
            (3000, 3000)
        );
        assert!(flat.body.is_none());
        assert_eq!(
            req(json!({"uri": "http://x", "method": "GET", "body": "raw"}))
                .unwrap()
                .body
                .as_deref(),
            Some(&b"raw"[..])
        );
    }

    #[test]
    fn missing_parts_are_conductors_errors() {
        assert_eq!(
            req(json!({"method": "GET"})).unwrap_err(),
            "Missing HTTP URI.  See documentation for HttpTask for required input parameters"
        );
        assert_eq!(
            req(json!({"uri": "http://x"})).unwrap_err(),
            "No HTTP method specified"
        );
        assert!(
            req(json!({"uri": "http://x", "method": "BREW"}))
                .unwrap_err()
                .contains("BREW")
        );
    }

    #[test]
    fn bodies_parse_like_conductor() {
        assert_eq!(parse_body(b"{\"a\":1}"), json!({"a": 1}));
        assert_eq!(parse_body(b"[1,2]"), json!([1, 2]));
        assert_eq!(parse_body(b"42"), json!(42.0));
        assert_eq!(parse_body(b"true"), json!("true"));
        assert_eq!(parse_body(b"\"quoted\""), json!("quoted"));
        assert_eq!(parse_body(b"plain text"), json!("plain text"));
        assert_eq!(parse_body(b""), Value::Null);
    }

    #[test]
    fn headers_are_multi_valued() {
        let r = response_map(
            200,
            "OK",
            &[
                ("Set-Cookie".into(), "a".into()),
                ("Set-Cookie".into(), "b".into()),
            ],
            b"",
        );
        assert_eq!(r["headers"]["Set-Cookie"], json!(["a", "b"]));
        assert_eq!(r["statusCode"], 200);
    }
}

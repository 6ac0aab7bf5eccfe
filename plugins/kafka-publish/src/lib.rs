//! KAFKA_PUBLISH (reference §4.4): `kafka_request` with `bootStrapServers`, `topic`, `value`
//! (sent as JSON text), `key` (by `keySerializer`; absent keys are sent as `"null"`, as in
//! Conductor), `headers`, `requestTimeoutMs`, `maxBlockMs`. Succeeds once the broker has
//! acknowledged the record; writes no output.

// The plugin type is only used by the component's export (see the bottom of this file).
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use fermata_plugin::kafka::{self, KafkaError, Message};
use fermata_plugin::{
    Capability, Guest, Map, Outcome, PluginInfo, TaskContext, Value, completed, failed, json,
    number, to_text,
};

const MISSING_REQUEST: &str = "Missing Kafka request. Task input MUST have a 'kafka_request' key with KafkaTask.Input as value. See documentation for KafkaTask for required input parameters";

struct KafkaPublish;

impl Guest for KafkaPublish {
    fn describe() -> PluginInfo {
        PluginInfo {
            task_type: "KAFKA_PUBLISH".into(),
            description: "Publish a record to a Kafka topic".into(),
            capabilities: vec![Capability::Kafka],
        }
    }

    fn execute(_ctx: TaskContext, input: String) -> Outcome {
        let input = fermata_plugin::input(&input);
        let message = match build_message(&input) {
            Ok(m) => m,
            Err(reason) => return failed(reason, json!({})),
        };
        match kafka::publish(&message) {
            Ok(_ack) => completed(json!({})),
            Err(KafkaError::Denied(reason)) => failed(reason, json!({})),
            Err(KafkaError::Failed(m)) => failed(
                format!("Failed to invoke kafka task due to: {m}"),
                json!({}),
            ),
        }
    }
}

// Exported only in the component: natively (unit tests) the export symbols cannot link.
#[cfg(target_arch = "wasm32")]
fermata_plugin::export_plugin!(KafkaPublish);

pub fn build_message(input: &Map<String, Value>) -> Result<Message, String> {
    let Some(Value::Object(req)) = input.get("kafka_request") else {
        return Err(MISSING_REQUEST.into());
    };
    let servers = req
        .get("bootStrapServers")
        .map(to_text)
        .filter(|s| !s.trim().is_empty())
        .ok_or("No boot strap servers specified")?;
    let topic = req
        .get("topic")
        .map(to_text)
        .filter(|s| !s.trim().is_empty())
        .ok_or(
            "Missing Kafka topic. See documentation for KafkaTask for required input parameters",
        )?;
    let value = match req.get("value") {
        None | Some(Value::Null) => {
            return Err("Missing Kafka value.  See documentation for KafkaTask for required input parameters".into());
        }
        Some(v) => v.to_string().into_bytes(),
    };
    let serializer = req
        .get("keySerializer")
        .and_then(Value::as_str)
        .unwrap_or("org.apache.kafka.common.serialization.StringSerializer");
    let key_text = req
        .get("key")
        .filter(|k| !k.is_null())
        .map_or_else(|| "null".to_string(), to_text);
    let key = match serializer {
        "org.apache.kafka.common.serialization.LongSerializer" => key_text
            .parse::<i64>()
            .map_err(|_| format!("Key {key_text} is not a long"))?
            .to_be_bytes()
            .to_vec(),
        "org.apache.kafka.common.serialization.IntegerSerializer" => key_text
            .parse::<i32>()
            .map_err(|_| format!("Key {key_text} is not an integer"))?
            .to_be_bytes()
            .to_vec(),
        _ => key_text.into_bytes(),
    };
    let headers = match req.get("headers") {
        Some(Value::Object(h)) => h
            .iter()
            .map(|(k, v)| (k.clone(), to_text(v).into_bytes()))
            .collect(),
        _ => vec![],
    };
    let ms = |key: &str, default: i64| {
        number(req, key)
            .filter(|v| *v > 0)
            .unwrap_or(default)
            .min(u32::MAX.into()) as u32
    };
    Ok(Message {
        bootstrap_servers: servers.trim().to_string(),
        topic: topic.trim().to_string(),
        key: Some(key),
        value,
        headers,
        request_timeout_ms: ms("requestTimeoutMs", 100),
        max_block_ms: ms("maxBlockMs", 500),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(v: Value) -> Result<Message, String> {
        build_message(v.as_object().unwrap())
    }

    #[test]
    fn records_are_shaped_like_conductors() {
        let m = msg(json!({"kafka_request": {"bootStrapServers": "127.0.0.1:9092", "topic": "t", "value": "abc",
                                            "headers": {"h": 1}, "requestTimeoutMs": "200"}}))
        .unwrap();
        assert_eq!(m.value, b"\"abc\"".to_vec(), "values are sent as JSON text");
        assert_eq!(
            m.key.as_deref(),
            Some(&b"null"[..]),
            "absent keys are sent as \"null\""
        );
        assert_eq!(m.headers, vec![("h".to_string(), b"1".to_vec())]);
        assert_eq!((m.request_timeout_ms, m.max_block_ms), (200, 500));
        let long = msg(json!({"kafka_request": {"bootStrapServers": "b", "topic": "t", "value": {"a": 1}, "key": 7,
                                               "keySerializer": "org.apache.kafka.common.serialization.LongSerializer"}}))
        .unwrap();
        assert_eq!(long.key.unwrap(), 7i64.to_be_bytes().to_vec());
        assert_eq!(long.value, b"{\"a\":1}".to_vec());
    }

    #[test]
    fn missing_fields() {
        assert_eq!(msg(json!({})).unwrap_err(), MISSING_REQUEST);
        assert_eq!(
            msg(json!({"kafka_request": {"topic": "t", "value": 1}})).unwrap_err(),
            "No boot strap servers specified"
        );
        assert!(
            msg(json!({"kafka_request": {"bootStrapServers": "b", "value": 1}}))
                .unwrap_err()
                .starts_with("Missing Kafka topic")
        );
        assert!(
            msg(json!({"kafka_request": {"bootStrapServers": "b", "topic": "t"}}))
                .unwrap_err()
                .starts_with("Missing Kafka value")
        );
    }
}

//! `events.publish`: `conductor:` sinks are fermata's own queues, written in the same
//! commit as the task's outcome (so an event is published exactly once with its task);
//! `kafka:` sinks go to the configured event brokers, keyed by the message id.

use super::Capability;
use super::State;
use crate::fermata::task::events::Host;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedEvent {
    /// The whole sink, e.g. `conductor:my_workflow:replies`.
    pub queue: String,
    pub message_id: String,
    pub payload: String,
}

impl Host for State {
    async fn publish(
        &mut self,
        sink: String,
        message_id: String,
        payload: String,
    ) -> Result<(), String> {
        self.require(Capability::Events)?;
        if let Some(problem) = fermata_core::limits::check_raw_json(payload.as_bytes()) {
            return Err(format!("event payload refused: {problem}"));
        }
        if serde_json::from_str::<serde_json::Value>(&payload).is_err() {
            return Err("event payloads must be JSON".into());
        }
        if sink.starts_with("conductor:") {
            self.events.push(PublishedEvent {
                queue: sink,
                message_id,
                payload,
            });
            return Ok(());
        }
        let Some(topic) = sink.strip_prefix("kafka:").filter(|t| !t.is_empty()) else {
            return Err(format!(
                "unsupported event sink {sink}: use conductor:<queue> or kafka:<topic>"
            ));
        };
        let Some(brokers) = self.services.config.event_brokers.clone() else {
            return Err("no Kafka brokers for kafka: sinks: start fermata with --event-kafka-brokers HOST:PORT (or FERMATA_EVENT_KAFKA_BROKERS)".into());
        };
        let budget = self.remaining();
        let headers = [("messageId".to_string(), message_id.clone().into_bytes())];
        let sent = super::kafka::publish(
            &self.services.kafka,
            &brokers,
            topic,
            Some(message_id.as_bytes()),
            payload.as_bytes(),
            &headers,
            Duration::from_secs(5),
        );

        match tokio::time::timeout(budget, sent).await {
            Ok(r) => r.map(|_| ()),
            Err(_) => Err("no acknowledgement before the plugin's deadline".into()),
        }
    }
}

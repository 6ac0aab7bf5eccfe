//! `kafka.publish` through librdkafka: one producer per bootstrap-server list, reused;
//! a record counts as published once the broker acknowledged it.

use super::Capability;
use super::State;
use crate::fermata::task::kafka::{Ack, Host, KafkaError, Message};
use rdkafka::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Default)]
pub struct Producers {
    by_servers: Mutex<HashMap<String, FutureProducer>>,
}

impl Producers {
    pub fn get(&self, servers: &str) -> Result<FutureProducer, String> {
        let mut map = self.by_servers.lock().expect("producers poisoned");
        if let Some(p) = map.get(servers) {
            return Ok(p.clone());
        }
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", servers)
            .set("message.timeout.ms", "30000")
            .set("queue.buffering.max.ms", "0")
            .set("enable.idempotence", "true")
            .create()
            .map_err(|e| format!("cannot create a Kafka producer for {servers}: {e}"))?;
        map.insert(servers.to_string(), producer.clone());
        Ok(producer)
    }
}

/// Publish and wait for the acknowledgement. Shared by the `kafka` capability and by
/// `kafka:` event sinks.
pub async fn publish(
    producers: &Producers,
    servers: &str,
    topic: &str,
    key: Option<&[u8]>,
    value: &[u8],
    headers: &[(String, Vec<u8>)],
    queue_timeout: Duration,
) -> Result<(i32, i64), String> {
    let producer = producers.get(servers)?;
    let mut owned = OwnedHeaders::new();
    for (name, value) in headers {
        owned = owned.insert(Header {
            key: name,
            value: Some(value),
        });
    }
    let mut record = FutureRecord::to(topic).payload(value).headers(owned);
    if let Some(key) = key {
        record = record.key(key);
    }
    let delivered = producer
        .send(record, queue_timeout)
        .await
        .map_err(|(e, _)| e.to_string())?;
    Ok((delivered.partition, delivered.offset))
}

impl Host for State {
    async fn publish(&mut self, msg: Message) -> Result<Ack, KafkaError> {
        self.require(Capability::Kafka)
            .map_err(KafkaError::Denied)?;
        self.services
            .config
            .kafka
            .check(&msg.bootstrap_servers)
            .map_err(KafkaError::Denied)?;
        let budget = self.remaining();
        let sent = publish(
            &self.services.kafka,
            &msg.bootstrap_servers,
            &msg.topic,
            msg.key.as_deref(),
            &msg.value,
            &msg.headers,
            Duration::from_millis(msg.max_block_ms.into()),
        );
        match tokio::time::timeout(budget, sent).await {
            Ok(Ok((partition, offset))) => Ok(Ack { partition, offset }),
            Ok(Err(e)) => Err(KafkaError::Failed(e)),
            Err(_) => Err(KafkaError::Failed(
                "no acknowledgement before the plugin's deadline".into(),
            )),
        }
    }
}

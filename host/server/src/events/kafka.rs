//! Listening on a Kafka topic for event handlers. Partitions are assigned directly (no
//! consumer group, whose join takes long on some brokers) and the next offset of each is
//! kept in the database after its message was handled, so a restart resumes where it was.

use super::Events;
use fermata_store::Events as EventStore;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use std::sync::Arc;
use std::time::Duration;

const METADATA_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Listener {
    consumer: StreamConsumer,
    topic: String,
    store: Arc<dyn EventStore>,
}

impl Listener {
    /// Connect and assign every partition from its saved offset, or from its current end
    /// when the topic is new to fermata.
    pub async fn open(
        brokers: &str,
        topic: &str,
        store: Arc<dyn EventStore>,
    ) -> anyhow::Result<Listener> {
        let consumer: StreamConsumer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("group.id", "fermata-event-handlers")
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false")
            .set("allow.auto.create.topics", "true")
            .create()?;
        let saved = store.kafka_offsets(topic).await?;
        let (consumer, assignment) = {
            let topic = topic.to_string();
            tokio::task::spawn_blocking(
                move || -> anyhow::Result<(StreamConsumer, Vec<(i32, i64)>)> {
                    let metadata = consumer.fetch_metadata(Some(&topic), METADATA_TIMEOUT)?;
                    let partitions: Vec<i32> = metadata
                        .topics()
                        .iter()
                        .filter(|t| t.name() == topic)
                        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
                        .collect();
                    anyhow::ensure!(!partitions.is_empty(), "topic {topic} has no partitions");
                    let mut assignment = Vec::new();
                    for p in partitions {
                        let next = match saved.get(&p) {
                            Some(n) => *n,
                            None => consumer.fetch_watermarks(&topic, p, METADATA_TIMEOUT)?.1,
                        };
                        assignment.push((p, next));
                    }
                    Ok((consumer, assignment))
                },
            )
            .await??
        };
        let mut list = TopicPartitionList::new();
        for (partition, next) in &assignment {
            store.save_kafka_offset(topic, *partition, *next).await?;
            list.add_partition_offset(topic, *partition, Offset::Offset(*next))?;
        }
        consumer.assign(&list)?;
        tracing::info!(%topic, partitions = assignment.len(), "listening for events");
        Ok(Listener {
            consumer,
            topic: topic.to_string(),
            store,
        })
    }

    pub async fn run(self, events: Arc<Events>) {
        let event = format!("kafka:{}", self.topic);
        let mut shutdown = events.engine.shutdown_signal();
        loop {
            let message = tokio::select! {
                m = self.consumer.recv() => m,
                _ = shutdown.changed() => return,
            };
            let message = match message {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(topic = %self.topic, error = %e, "reading events failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let payload = message
                .payload()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .unwrap_or_default();
            // Keys repeat across messages; the offset names this one.
            let offset = format!(
                "{}-{}-{}",
                self.topic,
                message.partition(),
                message.offset()
            );
            let id = message
                .key()
                .map(|k| String::from_utf8_lossy(k).into_owned())
                .unwrap_or_else(|| offset.clone());
            events
                .dispatch(&event, &payload, &id, &format!("kafka/{offset}"))
                .await;
            if let Err(e) = self
                .store
                .save_kafka_offset(&self.topic, message.partition(), message.offset() + 1)
                .await
            {
                tracing::warn!(topic = %self.topic, error = %e, "saving the event offset failed");
            }
        }
    }
}

//! Event handlers (reference §1.5): messages on fermata's own queues (`conductor:...`, written
//! by EVENT tasks) and on Kafka topics (`kafka:<topic>`) run the actions of the active
//! handlers listening on them. An action is a signal like any other — completing a task
//! goes through the same update as `POST /api/tasks` — and is recorded in the signal log
//! with the handler as its caller.

mod kafka;

use crate::engine::{Call, Engine, NotFoundStyle, Op, now_ms};
use crate::error::{Error, Result};
use fermata_core::decider::VariablesUpdate;
use fermata_core::expr::Scope;
use fermata_core::model::events::{EventAction, EventHandler};
use fermata_core::model::{
    Json, StartWorkflowRequest, TaskResult, TaskResultStatus, strip_iteration,
};
use fermata_store::Events as EventStore;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BATCH: u32 = 64;
/// Kafka topics listened on at once: each holds a consumer with threads of its own.
const MAX_KAFKA_TOPICS: usize = 256;

pub struct Events {
    engine: Arc<Engine>,
    store: Arc<dyn EventStore>,
    /// Brokers of `kafka:` events (`--event-kafka-brokers`).
    kafka_brokers: Option<String>,
    listeners: Mutex<HashMap<String, tokio::task::JoinHandle<()>>>,
    /// One listener is opened at a time, so two registrations never open two for a topic.
    opening: tokio::sync::Mutex<()>,
}

impl Events {
    pub fn new(
        engine: Arc<Engine>,
        store: Arc<dyn EventStore>,
        kafka_brokers: Option<String>,
    ) -> Arc<Events> {
        Arc::new(Events {
            engine,
            store,
            kafka_brokers,
            listeners: Mutex::new(HashMap::new()),
            opening: tokio::sync::Mutex::new(()),
        })
    }

    // ---- handlers (the /api/event resource) ----

    fn check(&self, handler: &EventHandler) -> Result<()> {
        let errors = handler.validate();
        if !errors.is_empty() {
            return Err(Error::validation(errors));
        }
        if handler.event.starts_with("kafka:") && self.kafka_brokers.is_none() {
            return Err(Error::bad_request(
                "no Kafka brokers to listen on: start fermata with --event-kafka-brokers HOST:PORT (or FERMATA_EVENT_KAFKA_BROKERS)",
            ));
        }
        Ok(())
    }

    pub async fn add(self: &Arc<Self>, handler: EventHandler) -> Result<()> {
        self.check(&handler)?;
        self.listen(&handler.event).await?;
        self.store
            .put_event_handler(&handler, true)
            .await
            .map_err(|e| handler_error(e, &handler))?;
        Ok(())
    }

    pub async fn update(self: &Arc<Self>, handler: EventHandler) -> Result<()> {
        self.check(&handler)?;
        self.listen(&handler.event).await?;
        self.store
            .put_event_handler(&handler, false)
            .await
            .map_err(|e| handler_error(e, &handler))?;
        Ok(())
    }

    pub async fn remove(&self, name: &str) -> Result<()> {
        if self.store.delete_event_handler(name).await? {
            Ok(())
        } else {
            Err(Error::not_found(format!(
                "EventHandler with name {name} not found!"
            )))
        }
    }

    pub async fn list(&self, event: Option<&str>, active_only: bool) -> Result<Vec<EventHandler>> {
        Ok(self
            .store
            .event_handlers()
            .await?
            .into_iter()
            .filter(|h| event.is_none_or(|e| h.event == e) && (!active_only || h.active))
            .collect())
    }

    pub async fn queue_messages(&self, queue: &str, count: u32) -> Result<Vec<Value>> {
        Ok(self
            .store
            .queue_events(queue, count)
            .await?
            .into_iter()
            .map(|e| {
                let payload = serde_json::from_str(&e.payload).unwrap_or(Value::String(e.payload));
                json!({"id": e.id, "queue": e.queue, "messageId": e.message_id, "payload": payload, "created": e.created})
            })
            .collect())
    }

    /// Start listening on a Kafka topic (from its current end, so only messages from now on
    /// are handled). `conductor:` queues need nothing: they are tables.
    async fn listen(self: &Arc<Self>, event: &str) -> Result<()> {
        let (Some(topic), Some(brokers)) =
            (event.strip_prefix("kafka:"), self.kafka_brokers.clone())
        else {
            return Ok(());
        };
        let _opening = self.opening.lock().await;
        {
            let mut listeners = self.listeners.lock().expect("listeners poisoned");
            listeners.retain(|_, h| !h.is_finished());
            if listeners.contains_key(topic) {
                return Ok(());
            }
            if listeners.len() >= MAX_KAFKA_TOPICS {
                return Err(Error::bad_request(format!(
                    "fermata listens on at most {MAX_KAFKA_TOPICS} Kafka topics"
                )));
            }
        }
        let consumer = kafka::Listener::open(&brokers, topic, self.store.clone())
            .await
            .map_err(|e| {
                Error::new(
                    crate::error::ErrorKind::Unavailable,
                    format!("cannot listen on Kafka topic {topic}: {e}"),
                )
            })?;
        let this = self.clone();
        let handle = tokio::spawn(async move { consumer.run(this).await });
        self.listeners
            .lock()
            .expect("listeners poisoned")
            .insert(topic.to_string(), handle);
        Ok(())
    }

    /// Listen on every Kafka topic a stored handler names.
    pub async fn start_listeners(self: &Arc<Self>) {
        let handlers = match self.store.event_handlers().await {
            Ok(h) => h,
            Err(e) => return tracing::error!(error = %e, "cannot read event handlers"),
        };
        for h in handlers.iter().filter(|h| h.active) {
            if let Err(e) = self.listen(&h.event).await {
                tracing::error!(handler = %h.name, error = %e, "event handler is not listening");
            }
        }
    }

    // ---- processing ----

    /// Handle the messages written to fermata's own queues, in order, until shutdown.
    pub async fn run_queues(self: Arc<Self>) {
        let mut shutdown = self.engine.shutdown_signal();
        loop {
            if *shutdown.borrow() {
                return;
            }
            let pending = match self.store.pending_events(BATCH).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(error = %e, "reading event queues failed");
                    vec![]
                }
            };
            for event in &pending {
                let delivery = format!("queue/{}", event.id);
                self.dispatch(&event.queue, &event.payload, &event.message_id, &delivery)
                    .await;
            }
            let ids: Vec<i64> = pending.iter().map(|e| e.id).collect();
            if let Err(e) = self.store.mark_events_processed(&ids, now_ms()).await {
                tracing::warn!(error = %e, "marking events processed failed");
            }
            if pending.len() < BATCH as usize {
                tokio::select! {
                    _ = self.engine.notifier().events_woken() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }

    /// Run the actions of every active handler of `event` for one message.
    /// `delivery`: this message's identity on its transport (a queue row, a Kafka offset),
    /// which keys its actions so that a message handled again after a crash acts once.
    pub async fn dispatch(&self, event: &str, payload: &str, message_id: &str, delivery: &str) {
        let handlers = match self.list(Some(event), true).await {
            Ok(h) => h,
            Err(e) => return tracing::warn!(error = %e, "reading event handlers failed"),
        };
        if let Some(problem) = fermata_core::limits::check_raw_json(payload.as_bytes()) {
            return tracing::warn!(%event, %message_id, %problem, "event message ignored");
        }
        let message: Value =
            serde_json::from_str(payload).unwrap_or_else(|_| Value::String(payload.to_string()));
        for handler in handlers {
            if let Some(condition) = handler
                .condition
                .as_deref()
                .filter(|c| !c.trim().is_empty())
            {
                let evaluator = handler.evaluator_type.as_deref();
                match self.engine.condition_holds(evaluator, condition, &message) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) => {
                        tracing::warn!(handler = %handler.name, error = %e, "event condition failed; actions not run");
                        continue;
                    }
                }
            }
            for (index, action) in handler.actions.iter().enumerate() {
                let key = format!("event/{delivery}/{}/{index}", handler.name);
                if let Err(e) = self.act(&handler, action, &message, message_id, key).await {
                    tracing::warn!(handler = %handler.name, action = %action.action, error = %e, "event action failed");
                }
            }
        }
    }

    async fn act(
        &self,
        handler: &EventHandler,
        action: &EventAction,
        message: &Value,
        message_id: &str,
        idempotency_key: String,
    ) -> Result<()> {
        let message = if action.expand_inline_json {
            let mut expanded = expand_inline_json(message.clone(), INLINE_JSON_LEVELS);
            fermata_core::limits::prune(&mut expanded, fermata_core::limits::MAX_JSON_DEPTH);
            expanded
        } else {
            message.clone()
        };
        let params = Scope::over(message).eval_map(action.params().unwrap_or(&Json::new()));
        let text = |key: &str| {
            params
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
                .filter(|s| !s.is_empty())
        };
        let call = Call {
            caller: Some(format!("event-handler:{}", handler.name)),
            idempotency_key: Some(idempotency_key),
            fingerprint: format!("event {}", handler.event),
        };
        match action.action.as_str() {
            "complete_task" | "fail_task" => {
                let workflow_id = text("workflowId")
                    .ok_or_else(|| Error::bad_request("workflowId resolved to nothing"))?;
                let wf = self.engine.workflow(&workflow_id, true).await?;
                let task = match text("taskId") {
                    Some(id) => wf.task(&id).cloned(),
                    None => {
                        let reference = text("taskRefName").ok_or_else(|| {
                            Error::bad_request("neither taskId nor taskRefName resolved")
                        })?;
                        wf.tasks
                            .iter()
                            .filter(|t| {
                                t.reference_task_name == reference
                                    || strip_iteration(&t.reference_task_name) == reference
                            })
                            .max_by_key(|t| (t.iteration, t.seq))
                            .cloned()
                    }
                }
                .ok_or_else(|| {
                    Error::not_found(format!("no such task in workflow {workflow_id}"))
                })?;
                let mut output = match params.get("output") {
                    Some(Value::Object(m)) => m.clone(),
                    _ => Json::new(),
                };
                output.insert("conductor.event.messageId".into(), json!(message_id));
                output.insert("conductor.event.name".into(), json!(handler.event));
                let result = TaskResult {
                    workflow_instance_id: workflow_id.clone(),
                    task_id: task.task_id,
                    status: Some(if action.action == "complete_task" {
                        TaskResultStatus::Completed
                    } else {
                        TaskResultStatus::Failed
                    }),
                    output_data: output,
                    reason_for_incompletion: text("reasonForIncompletion"),
                    ..Default::default()
                };
                self.engine
                    .signal(&workflow_id, Op::task_result(result)?, &call)
                    .await?;
            }
            "start_workflow" => {
                let request: StartWorkflowRequest = serde_json::from_value(Value::Object(params))
                    .map_err(|e| {
                    Error::bad_request(format!("start_workflow parameters: {e}"))
                })?;
                self.engine
                    .start(request, &call, NotFoundStyle::StartRequest)
                    .await?;
            }
            "terminate_workflow" => {
                let workflow_id = text("workflowId")
                    .ok_or_else(|| Error::bad_request("workflowId resolved to nothing"))?;
                let op = Op::plain(fermata_core::Event::Terminate {
                    reason: text("terminationReason"),
                    trigger_failure_workflow: false,
                });
                self.engine.signal(&workflow_id, op, &call).await?;
            }
            "update_workflow_variables" => {
                let workflow_id = text("workflowId")
                    .ok_or_else(|| Error::bad_request("workflowId resolved to nothing"))?;
                let values = match params.get("variables") {
                    Some(Value::Object(m)) => m.clone(),
                    _ => return Err(Error::bad_request("variables resolved to no object")),
                };
                let update = VariablesUpdate {
                    values,
                    append_arrays: params.get("appendArray") == Some(&Value::Bool(true)),
                };
                self.engine
                    .signal(
                        &workflow_id,
                        Op::new(
                            fermata_core::Event::UpdateVariables(update),
                            crate::engine::Answer::Workflow,
                        ),
                        &call,
                    )
                    .await?;
            }
            other => return Err(Error::bad_request(format!("unsupported action {other}"))),
        }
        Ok(())
    }
}

/// How many levels of JSON inside strings inside JSON `expandInlineJSON` unpacks.
const INLINE_JSON_LEVELS: u8 = 4;

/// Conductor's `expandInlineJSON`: string values holding JSON objects or arrays become JSON.
fn expand_inline_json(v: Value, levels: u8) -> Value {
    match v {
        Value::String(s)
            if levels > 0
                && s.trim_start().starts_with(['{', '['])
                && fermata_core::limits::check_raw_json(s.as_bytes()).is_none() =>
        {
            serde_json::from_str(&s)
                .map(|inner| expand_inline_json(inner, levels - 1))
                .unwrap_or(Value::String(s))
        }
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, expand_inline_json(v, levels)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(
            a.into_iter()
                .map(|v| expand_inline_json(v, levels))
                .collect(),
        ),
        other => other,
    }
}

/// Conductor's words for an event handler name taken or missing.
fn handler_error(e: fermata_store::StoreError, handler: &EventHandler) -> Error {
    match e {
        fermata_store::StoreError::AlreadyExists(_) => Error::conflict(format!(
            "EventHandler with name {} already exists!",
            handler.name
        )),
        fermata_store::StoreError::NotFound(_) => Error::not_found(format!(
            "EventHandler with name {} not found!",
            handler.name
        )),
        other => other.into(),
    }
}

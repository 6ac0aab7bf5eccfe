-- Incoming webhooks (Orkes' WebhookConfig, kept as JSON) and the record of each delivery,
-- the latest 1000 per webhook.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    json TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, seq);

-- The open WAIT_FOR_WEBHOOK tasks, by workflow name: derived from the tasks table in the
-- same transaction that writes a task (a row while the task is open, none once it ended),
-- so a delivery finds what waits for it without reading every execution, and finds it
-- again after a restart. `matches` is the task's resolved matches.
CREATE TABLE webhook_waits (
    task_id TEXT PRIMARY KEY,
    workflow_id TEXT NOT NULL,
    workflow_name TEXT NOT NULL,
    workflow_version INTEGER NOT NULL,
    matches TEXT NOT NULL
);
CREATE INDEX webhook_waits_by_workflow_name ON webhook_waits (workflow_name, workflow_version);
CREATE INDEX webhook_waits_by_workflow ON webhook_waits (workflow_id);

-- Definitions keep their JSON as written; columns only serve lookups.
CREATE TABLE workflow_defs (
    name        TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    json        TEXT    NOT NULL,
    create_time INTEGER NOT NULL,
    update_time INTEGER NOT NULL,
    PRIMARY KEY (name, version)
);

CREATE TABLE task_defs (
    name        TEXT PRIMARY KEY,
    json        TEXT    NOT NULL,
    create_time INTEGER NOT NULL,
    update_time INTEGER NOT NULL
);

-- One row per execution; `json` is the workflow without its tasks. `revision` detects a
-- concurrent writer; `next_wake_at` is when time alone changes the execution (timeouts,
-- timed waits), which is what the timer loop scans.
CREATE TABLE executions (
    id              TEXT PRIMARY KEY,
    name            TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    correlation_id  TEXT,
    idempotency_key TEXT,
    parent_id       TEXT,
    create_time     INTEGER NOT NULL,
    update_time     INTEGER NOT NULL,
    end_time        INTEGER NOT NULL,
    next_wake_at    INTEGER,
    revision        INTEGER NOT NULL,
    json            TEXT    NOT NULL
);
CREATE INDEX executions_wake ON executions (next_wake_at) WHERE next_wake_at IS NOT NULL;
CREATE INDEX executions_name_time ON executions (name, create_time);
CREATE INDEX executions_status_time ON executions (status, create_time);
CREATE INDEX executions_time ON executions (create_time);
CREATE INDEX executions_correlation ON executions (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX executions_idempotency ON executions (name, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE tasks (
    id          TEXT PRIMARY KEY,
    workflow_id TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    json        TEXT    NOT NULL
);
CREATE INDEX tasks_workflow ON tasks (workflow_id, seq);

-- Work waiting to be handed out: worker tasks by definition name, system tasks by type.
-- A claim pushes `visible_at` forward (a lease) until the poll is applied.
CREATE TABLE queue (
    task_id     TEXT PRIMARY KEY,
    queue       TEXT    NOT NULL,
    workflow_id TEXT    NOT NULL,
    visible_at  INTEGER NOT NULL
);
CREATE INDEX queue_ready ON queue (queue, visible_at);

CREATE TABLE task_logs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id      TEXT    NOT NULL,
    log          TEXT    NOT NULL,
    created_time INTEGER NOT NULL
);
CREATE INDEX task_logs_task ON task_logs (task_id, id);

-- Every signal: what was asked, by whom, when, and how it ended.
CREATE TABLE signals (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workflow_id     TEXT    NOT NULL,
    op              TEXT    NOT NULL,
    at              INTEGER NOT NULL,
    caller          TEXT,
    params          TEXT    NOT NULL,
    status          INTEGER NOT NULL,
    message         TEXT,
    idempotency_key TEXT
);
CREATE INDEX signals_workflow ON signals (workflow_id, id);

-- First outcome of each Idempotency-Key, replayed for repeats.
CREATE TABLE idempotency (
    key          TEXT PRIMARY KEY,
    fingerprint  TEXT    NOT NULL,
    status       INTEGER NOT NULL,
    content_type TEXT,
    body         BLOB    NOT NULL,
    created      INTEGER NOT NULL
);

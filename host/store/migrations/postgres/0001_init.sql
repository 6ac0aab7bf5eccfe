-- fermata's schema on Postgres: the same tables as on SQLite (its migrations 0001 to 0008
-- folded into one), times as epoch milliseconds (BIGINT), JSON kept as the text written.
-- Where SQLite orders by rowid, an `ord` column keeps insertion order.

CREATE TABLE workflow_defs (
    name        TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    json        TEXT    NOT NULL,
    create_time BIGINT  NOT NULL,
    update_time BIGINT  NOT NULL,
    PRIMARY KEY (name, version)
);

CREATE TABLE task_defs (
    name        TEXT PRIMARY KEY,
    json        TEXT    NOT NULL,
    create_time BIGINT  NOT NULL,
    update_time BIGINT  NOT NULL
);

CREATE TABLE executions (
    id              TEXT PRIMARY KEY,
    name            TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    correlation_id  TEXT,
    idempotency_key TEXT,
    parent_id       TEXT,
    create_time     BIGINT  NOT NULL,
    update_time     BIGINT  NOT NULL,
    end_time        BIGINT  NOT NULL,
    next_wake_at    BIGINT,
    revision        BIGINT  NOT NULL,
    json            TEXT    NOT NULL
);
CREATE INDEX executions_wake ON executions (next_wake_at) WHERE next_wake_at IS NOT NULL;
CREATE INDEX executions_name_time ON executions (name, create_time);
CREATE INDEX executions_status_time ON executions (status, create_time);
CREATE INDEX executions_time ON executions (create_time);
CREATE INDEX executions_correlation ON executions (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX executions_idempotency ON executions (name, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- The fields task search filters and sorts on are columns written with the JSON (not
-- derived from it by a jsonb cast, which would refuse a \u0000 in any value).
CREATE TABLE tasks (
    id             TEXT PRIMARY KEY,
    workflow_id    TEXT    NOT NULL,
    seq            INTEGER NOT NULL,
    ord            BIGSERIAL,
    json           TEXT    NOT NULL,
    task_type      TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    scheduled_time BIGINT  NOT NULL,
    update_time    BIGINT  NOT NULL,
    reference_name TEXT    NOT NULL,
    task_def_name  TEXT,
    workflow_type  TEXT
);
CREATE INDEX tasks_workflow ON tasks (workflow_id, seq, ord);
CREATE INDEX tasks_type_status ON tasks (task_type, status, scheduled_time);
CREATE INDEX tasks_scheduled ON tasks (scheduled_time);

-- Work waiting to be handed out. A claim is a lease held in the row (`lease_owner` until
-- `lease_until`), so an entry goes to one poller across every host, and the entries of a
-- host that dies are free again when its leases end.
CREATE TABLE queue (
    task_id     TEXT PRIMARY KEY,
    queue       TEXT   NOT NULL,
    workflow_id TEXT   NOT NULL,
    visible_at  BIGINT NOT NULL,
    ord         BIGSERIAL,
    lease_owner TEXT,
    lease_until BIGINT
);
CREATE INDEX queue_ready ON queue (queue, visible_at, ord);
CREATE INDEX queue_workflow ON queue (workflow_id);

CREATE TABLE task_logs (
    id           BIGSERIAL PRIMARY KEY,
    task_id      TEXT   NOT NULL,
    log          TEXT   NOT NULL,
    created_time BIGINT NOT NULL
);
CREATE INDEX task_logs_task ON task_logs (task_id, id);

CREATE TABLE signals (
    id              BIGSERIAL PRIMARY KEY,
    workflow_id     TEXT    NOT NULL,
    op              TEXT    NOT NULL,
    at              BIGINT  NOT NULL,
    caller          TEXT,
    params          TEXT    NOT NULL,
    status          INTEGER NOT NULL,
    message         TEXT,
    idempotency_key TEXT
);
CREATE INDEX signals_workflow ON signals (workflow_id, id);

CREATE TABLE idempotency (
    key          TEXT PRIMARY KEY,
    fingerprint  TEXT    NOT NULL,
    status       INTEGER NOT NULL,
    content_type TEXT,
    body         BYTEA   NOT NULL,
    created      BIGINT  NOT NULL
);

CREATE TABLE plugins (
    task_type TEXT PRIMARY KEY,
    wasm      BYTEA  NOT NULL,
    sha256    TEXT   NOT NULL,
    created   BIGINT NOT NULL
);

CREATE TABLE events (
    id         BIGSERIAL PRIMARY KEY,
    queue      TEXT   NOT NULL,
    message_id TEXT   NOT NULL,
    payload    TEXT   NOT NULL,
    created    BIGINT NOT NULL,
    processed  BIGINT
);
CREATE INDEX events_pending ON events (id) WHERE processed IS NULL;
CREATE INDEX events_queue ON events (queue, id);

CREATE TABLE event_handlers (
    name   TEXT PRIMARY KEY,
    event  TEXT    NOT NULL,
    active BOOLEAN NOT NULL,
    json   TEXT    NOT NULL
);
CREATE INDEX event_handlers_event ON event_handlers (event);

CREATE TABLE kafka_offsets (
    topic       TEXT    NOT NULL,
    partition   INTEGER NOT NULL,
    next_offset BIGINT  NOT NULL,
    PRIMARY KEY (topic, partition)
);

CREATE TABLE outbox (
    id             BIGSERIAL PRIMARY KEY,
    to_workflow_id TEXT   NOT NULL,
    body           TEXT   NOT NULL,
    created        BIGINT NOT NULL
);
CREATE INDEX outbox_to ON outbox (to_workflow_id, id);

CREATE TABLE inbox (
    seq         BIGSERIAL PRIMARY KEY,
    workflow_id TEXT NOT NULL,
    id          TEXT NOT NULL,
    message     TEXT NOT NULL
);
CREATE INDEX inbox_workflow ON inbox (workflow_id, seq);

CREATE TABLE schedules (
    name        TEXT PRIMARY KEY,
    json        TEXT NOT NULL,
    next_run_at BIGINT,
    last_slot   BIGINT
);
CREATE INDEX schedules_due ON schedules (next_run_at) WHERE next_run_at IS NOT NULL;

CREATE TABLE schedule_executions (
    execution_id   TEXT PRIMARY KEY,
    schedule_name  TEXT   NOT NULL,
    scheduled_time BIGINT NOT NULL,
    json           TEXT   NOT NULL
);
CREATE INDEX schedule_executions_by_schedule ON schedule_executions (schedule_name, scheduled_time);

CREATE TABLE poll_data (
    task_type      TEXT   NOT NULL,
    domain         TEXT   NOT NULL,
    worker_id      TEXT,
    last_poll_time BIGINT NOT NULL,
    PRIMARY KEY (task_type, domain)
);

CREATE TABLE definition_tags (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    tags TEXT NOT NULL,
    PRIMARY KEY (kind, name)
);

CREATE TABLE webhooks (
    id   TEXT PRIMARY KEY,
    json TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    seq        BIGSERIAL PRIMARY KEY,
    webhook_id TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    json       TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, seq);

CREATE TABLE webhook_waits (
    task_id          TEXT PRIMARY KEY,
    workflow_id      TEXT    NOT NULL,
    workflow_name    TEXT    NOT NULL,
    workflow_version INTEGER NOT NULL,
    matches          TEXT    NOT NULL,
    ord              BIGSERIAL
);
CREATE INDEX webhook_waits_by_workflow_name ON webhook_waits (workflow_name, workflow_version);
CREATE INDEX webhook_waits_by_workflow ON webhook_waits (workflow_id);

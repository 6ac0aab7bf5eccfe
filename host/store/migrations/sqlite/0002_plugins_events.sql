-- Plugins registered at run time (PUT /api/plugins/{taskType}): every host loads them.
CREATE TABLE plugins (
    task_type TEXT PRIMARY KEY,
    wasm      BLOB    NOT NULL,
    sha256    TEXT    NOT NULL,
    created   INTEGER NOT NULL
);

-- Messages on fermata's own event queues (`conductor:...` sinks), written in the same
-- commit as the task that published them; event handlers consume them.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    queue      TEXT    NOT NULL,
    message_id TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    created    INTEGER NOT NULL,
    processed  INTEGER
);
CREATE INDEX events_pending ON events (id) WHERE processed IS NULL;
CREATE INDEX events_queue ON events (queue, id);

CREATE TABLE event_handlers (
    name   TEXT PRIMARY KEY,
    event  TEXT    NOT NULL,
    active INTEGER NOT NULL,
    json   TEXT    NOT NULL
);
CREATE INDEX event_handlers_event ON event_handlers (event);

-- Where each Kafka topic an event handler listens on is read up to.
CREATE TABLE kafka_offsets (
    topic       TEXT    NOT NULL,
    partition   INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, partition)
);

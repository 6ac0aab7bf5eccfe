-- Who last polled each task type (and domain), and when: Conductor's poll data.
CREATE TABLE poll_data (
    task_type TEXT NOT NULL,
    domain TEXT NOT NULL,
    worker_id TEXT,
    last_poll_time INTEGER NOT NULL,
    PRIMARY KEY (task_type, domain)
);

-- Tags of workflow and task definitions (Orkes), by definition name.
CREATE TABLE definition_tags (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    tags TEXT NOT NULL,
    PRIMARY KEY (kind, name)
);

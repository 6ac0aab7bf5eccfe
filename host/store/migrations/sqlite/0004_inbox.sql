-- Messages sent to running workflows and not yet pulled (Conductor's workflow message queue),
-- oldest first. Loaded with their execution; taken in the commit that completes the task
-- that pulls them.
CREATE TABLE inbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    workflow_id TEXT NOT NULL,
    id TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX inbox_workflow ON inbox (workflow_id, seq);

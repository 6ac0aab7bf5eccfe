-- Messages between executions (a child's end for its parent, a parent's terminate for its
-- child, a revived child for its parent), written in the commit that causes them and
-- deleted in the commit that applies them to their receiver.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    to_workflow_id TEXT NOT NULL,
    body TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE INDEX outbox_to ON outbox (to_workflow_id, id);

-- Schedules: when each runs next (NULL: paused, or no run left) and the slot it last ran.
-- A host fires a slot by moving next_run_at on in the commit that starts the workflow, only
-- if it still holds that slot: a slot starts one workflow, whatever the hosts and crashes.
CREATE TABLE schedules (
    name TEXT PRIMARY KEY,
    json TEXT NOT NULL,
    next_run_at INTEGER,
    last_slot INTEGER
);
CREATE INDEX schedules_due ON schedules (next_run_at) WHERE next_run_at IS NOT NULL;

CREATE TABLE schedule_executions (
    execution_id TEXT PRIMARY KEY,
    schedule_name TEXT NOT NULL,
    scheduled_time INTEGER NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX schedule_executions_by_schedule ON schedule_executions (schedule_name, scheduled_time);

-- Task search: the fields it filters and sorts on, read from each task's JSON by SQLite
-- itself, so no writer has to keep them in step. Virtual columns cost nothing to store;
-- the indexes hold the values.
ALTER TABLE tasks ADD COLUMN task_type TEXT
    GENERATED ALWAYS AS (json_extract(json, '$.taskType')) VIRTUAL;
ALTER TABLE tasks ADD COLUMN status TEXT
    GENERATED ALWAYS AS (json_extract(json, '$.status')) VIRTUAL;
ALTER TABLE tasks ADD COLUMN scheduled_time INTEGER
    GENERATED ALWAYS AS (json_extract(json, '$.scheduledTime')) VIRTUAL;
ALTER TABLE tasks ADD COLUMN update_time INTEGER
    GENERATED ALWAYS AS (json_extract(json, '$.updateTime')) VIRTUAL;
CREATE INDEX tasks_type_status ON tasks (task_type, status, scheduled_time);
CREATE INDEX tasks_scheduled ON tasks (scheduled_time);

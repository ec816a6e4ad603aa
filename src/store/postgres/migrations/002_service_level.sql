-- The supervisor's wallboard (SQLite's 011_service_level.sql): each service's service level target in
-- seconds, and indexes on when interactions were created and ended, which today's figures read.
ALTER TABLE services ADD COLUMN service_level_seconds integer NOT NULL DEFAULT 20;
CREATE INDEX interactions_created ON interactions (created_at);
CREATE INDEX interactions_ended ON interactions (ended_at) WHERE ended_at IS NOT NULL;

-- The supervisor's wallboard. Each service gets its service level target: the share of chats accepted
-- within this many seconds. Today's figures read the interactions created or ended since midnight, so
-- both times get an index (the floor reads them once per process, then follows the events).
ALTER TABLE services ADD COLUMN service_level_seconds INTEGER NOT NULL DEFAULT 20;
CREATE INDEX interactions_created ON interactions(created_at);
CREATE INDEX interactions_ended ON interactions(ended_at) WHERE ended_at IS NOT NULL;

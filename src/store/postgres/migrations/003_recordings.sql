-- Call recordings, the bytes with them (bytea, as photos), so every node of a cluster serves them. The
-- index serves the retention sweep.
CREATE TABLE recordings (
  id text PRIMARY KEY,
  interaction_id text NOT NULL,
  content_type text NOT NULL,
  size bigint NOT NULL,
  bytes bytea NOT NULL,
  created_at bigint NOT NULL
);
CREATE INDEX recordings_created_at ON recordings (created_at);

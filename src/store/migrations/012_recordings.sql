-- Call recordings: what each file is, for serving it and for the retention sweep. The bytes are files
-- under DATA_DIR/recordings, as photos are under DATA_DIR/attachments (PostgreSQL keeps them in the row).
CREATE TABLE recordings (
  id TEXT PRIMARY KEY,
  interaction_id TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX recordings_created_at ON recordings(created_at);

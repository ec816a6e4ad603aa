-- Administration in the browser. Services get an SMS number (one service per number), Record calls and
-- a disabled flag (a disabled service takes no new chats); agents get the supervisor role and a
-- disabled flag (a disabled agent cannot log in). SQLite cannot widen a CHECK in place, so the agents
-- table is rebuilt; nothing references it by foreign key.
ALTER TABLE services ADD COLUMN sms_number TEXT;
ALTER TABLE services ADD COLUMN record_calls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE services ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX services_sms_number ON services(sms_number) WHERE sms_number IS NOT NULL;

CREATE TABLE agents_v10 (
  id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  service_ids TEXT NOT NULL, -- JSON array
  role TEXT NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'supervisor', 'admin')),
  disabled INTEGER NOT NULL DEFAULT 0
);
INSERT INTO agents_v10 (id, display_name, password_hash, service_ids, role) SELECT id, display_name, password_hash, service_ids, role FROM agents;
DROP TABLE agents;
ALTER TABLE agents_v10 RENAME TO agents;

-- Every administrative change: who, when, what, on which agent or service, before and after (JSON,
-- never a password or its hash).
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target_kind TEXT NOT NULL,
  target_id TEXT NOT NULL,
  before TEXT, -- JSON
  after TEXT   -- JSON
);

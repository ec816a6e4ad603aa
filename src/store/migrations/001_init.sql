-- Services customers reach and the agents who serve them.
CREATE TABLE services (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  auto_dial INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE agents (
  id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  service_ids TEXT NOT NULL -- JSON array
);

CREATE TABLE interactions (
  id TEXT PRIMARY KEY,
  service_id TEXT NOT NULL REFERENCES services(id),
  channel TEXT NOT NULL,
  customer_name TEXT NOT NULL,
  customer_phone TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  state TEXT NOT NULL,
  offered_to TEXT,
  offered_at INTEGER,
  agent_id TEXT,
  created_at INTEGER NOT NULL,
  accepted_at INTEGER,
  ended_at INTEGER,
  ended_by TEXT,
  context TEXT NOT NULL, -- JSON {fields, location?}
  last_seq INTEGER NOT NULL
);
CREATE INDEX interactions_open ON interactions(state) WHERE state <> 'ended';
CREATE INDEX interactions_history ON interactions(agent_id, created_at);

-- Every message, photo, context update and milestone of an interaction, in order.
CREATE TABLE timeline (
  interaction_id TEXT NOT NULL REFERENCES interactions(id),
  seq INTEGER NOT NULL,
  id TEXT NOT NULL,
  kind TEXT NOT NULL,
  author TEXT NOT NULL,
  agent_id TEXT,
  text TEXT,
  client_id TEXT,
  attachment TEXT, -- JSON
  data TEXT,       -- JSON
  created_at INTEGER NOT NULL,
  PRIMARY KEY (interaction_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX timeline_client_id ON timeline(interaction_id, client_id) WHERE client_id IS NOT NULL;

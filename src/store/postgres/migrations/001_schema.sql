-- The schema SQLite reaches through its migrations 001..010 (src/store/migrations/), in one step: no
-- PostgreSQL database existed before. Same tables and columns, so both engines share their row mapping
-- (src/store/rows.ts). Epoch milliseconds are bigint; flags are boolean.
-- JSON: jsonb where only the values matter; json (kept as written) where the order of keys is shown to
-- people: a chat's context fields appear in the order the customer sent them, an audit entry's fields
-- in the order they changed. jsonb would sort them. Nothing queries inside either.

-- Services customers reach and the agents who serve them.
CREATE TABLE services (
  id text PRIMARY KEY,
  name text NOT NULL,
  auto_dial boolean NOT NULL DEFAULT false,
  sms_number text,
  record_calls boolean NOT NULL DEFAULT false,
  disabled boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX services_sms_number ON services (sms_number) WHERE sms_number IS NOT NULL;

CREATE TABLE agents (
  id text PRIMARY KEY,
  display_name text NOT NULL,
  password_hash text NOT NULL,
  service_ids jsonb NOT NULL, -- array of service ids
  role text NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'supervisor', 'admin')),
  disabled boolean NOT NULL DEFAULT false
);

CREATE TABLE interactions (
  id text PRIMARY KEY,
  service_id text NOT NULL REFERENCES services (id),
  channel text NOT NULL,
  customer_name text NOT NULL,
  customer_phone text NOT NULL,
  token_hash text NOT NULL,
  state text NOT NULL,
  offered_to text,
  offered_at bigint,
  agent_id text,
  created_at bigint NOT NULL,
  accepted_at bigint,
  ended_at bigint,
  ended_by text,
  context json NOT NULL, -- {fields, location?}
  last_seq integer NOT NULL,
  -- Call legs and the video session, kept with the interaction: always read and written with it.
  call_legs jsonb NOT NULL DEFAULT '[]',
  video jsonb
);
CREATE INDEX interactions_open ON interactions (state) WHERE state <> 'ended';
CREATE INDEX interactions_history ON interactions (agent_id, created_at);

-- Every message, photo, context update and milestone of an interaction. The database keeps
-- (interaction, seq) and a chat's client ids unique: a duplicate is refused, never stored.
CREATE TABLE timeline (
  interaction_id text NOT NULL REFERENCES interactions (id),
  seq integer NOT NULL,
  id text NOT NULL,
  kind text NOT NULL,
  author text NOT NULL,
  agent_id text,
  text text,
  client_id text,
  attachment jsonb,
  data jsonb,
  created_at bigint NOT NULL,
  PRIMARY KEY (interaction_id, seq)
);
CREATE UNIQUE INDEX timeline_client_id ON timeline (interaction_id, client_id) WHERE client_id IS NOT NULL;

-- Photos the customers sent, here so every node of a cluster reaches them (SQLite's install keeps them
-- as files under DATA_DIR).
CREATE TABLE attachments (
  id text PRIMARY KEY,
  bytes bytea NOT NULL,
  created_at bigint NOT NULL
);

-- SMS channel: every inbound SMS id ever stored (a gateway's retry is accepted once, across restarts),
-- and parts of a concatenated text waiting for their siblings (pending, with their text). `arrival`
-- orders parts received in the same millisecond, as SQLite's rowid does.
CREATE TABLE sms_inbound (
  id text PRIMARY KEY,
  arrival bigint GENERATED ALWAYS AS IDENTITY,
  from_number text NOT NULL,
  to_number text NOT NULL,
  gateway text NOT NULL,
  received_at bigint NOT NULL,
  pending boolean NOT NULL DEFAULT false,
  ref integer,
  total integer,
  part integer,
  text text
);
CREATE INDEX sms_inbound_pending ON sms_inbound (received_at, arrival) WHERE pending;

-- Which of our numbers an SMS chat was texted to (replies leave from it) and by which gateway.
CREATE TABLE sms_routes (
  interaction_id text PRIMARY KEY REFERENCES interactions (id),
  customer_number text NOT NULL,
  service_number text NOT NULL,
  gateway text NOT NULL,
  created_at bigint NOT NULL
);

-- Agent replies sent as SMS, by timeline entry id, with their segment count and delivery status.
CREATE TABLE sms_outbound (
  id text PRIMARY KEY,
  interaction_id text NOT NULL REFERENCES interactions (id),
  from_number text NOT NULL,
  to_number text NOT NULL,
  segments integer NOT NULL,
  encoding text NOT NULL,
  status text NOT NULL,
  detail text,
  updated_at bigint NOT NULL
);
CREATE INDEX sms_outbound_interaction ON sms_outbound (interaction_id);

-- SIP digests of agents' endpoints, md5(username:realm:password); never the password.
CREATE TABLE sip_credentials (
  endpoint text PRIMARY KEY,
  md5_cred text NOT NULL,
  created_at bigint NOT NULL
);

-- Every administrative change: who, when, what, on which agent or service, before and after (never a
-- password or its hash).
CREATE TABLE audit_log (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at bigint NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  target_kind text NOT NULL,
  target_id text NOT NULL,
  before json,
  after json
);

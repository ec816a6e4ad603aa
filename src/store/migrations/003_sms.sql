-- SMS channel. Every inbound SMS id ever stored, so a gateway's retry is accepted once, across restarts;
-- parts of a concatenated text waiting for their siblings are kept here too (pending = 1, with their
-- text) until the whole text reaches the chat, so a restart loses none of them.
CREATE TABLE sms_inbound (
  id TEXT PRIMARY KEY,
  from_number TEXT NOT NULL,
  to_number TEXT NOT NULL,
  gateway TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  pending INTEGER NOT NULL DEFAULT 0,
  ref INTEGER,
  total INTEGER,
  part INTEGER,
  text TEXT
);
CREATE INDEX sms_inbound_pending ON sms_inbound(received_at) WHERE pending = 1;

-- Which of our numbers an SMS chat was texted to (replies leave from it) and by which gateway.
CREATE TABLE sms_routes (
  interaction_id TEXT PRIMARY KEY REFERENCES interactions(id),
  customer_number TEXT NOT NULL,
  service_number TEXT NOT NULL,
  gateway TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

-- Agent replies sent as SMS, by timeline entry id, with their segment count and delivery status.
CREATE TABLE sms_outbound (
  id TEXT PRIMARY KEY,
  interaction_id TEXT NOT NULL REFERENCES interactions(id),
  from_number TEXT NOT NULL,
  to_number TEXT NOT NULL,
  segments INTEGER NOT NULL,
  encoding TEXT NOT NULL,
  status TEXT NOT NULL,
  detail TEXT,
  updated_at INTEGER NOT NULL
);
CREATE INDEX sms_outbound_interaction ON sms_outbound(interaction_id);

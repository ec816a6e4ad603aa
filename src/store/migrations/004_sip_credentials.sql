-- Generated SIP passwords of agents' endpoints (browser softphone "<agent>", desk phone "<agent>-desk").
-- Asterisk gets them through ARI at every connect; they are never defaults.
CREATE TABLE sip_credentials (
  endpoint TEXT PRIMARY KEY,
  password TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

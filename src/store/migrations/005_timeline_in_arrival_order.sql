-- The timeline in arrival order. Keyed by (interaction, seq), messages arriving interleaved across
-- hundreds of open chats each landed on a different page of the table and of the client-id index, so
-- every group commit rewrote about two pages per message. Stored by rowid, they fill pages in order
-- and only the small (interaction, seq) index takes one page per chat. Client ids of open chats are
-- looked up in memory (interaction-store.ts), read back from here after a restart.
CREATE TABLE timeline_by_arrival (
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
  created_at INTEGER NOT NULL
);
INSERT INTO timeline_by_arrival (interaction_id, seq, id, kind, author, agent_id, text, client_id, attachment, data, created_at)
  SELECT interaction_id, seq, id, kind, author, agent_id, text, client_id, attachment, data, created_at
  FROM timeline ORDER BY created_at, interaction_id, seq;
DROP TABLE timeline;
ALTER TABLE timeline_by_arrival RENAME TO timeline;
CREATE UNIQUE INDEX timeline_seq ON timeline(interaction_id, seq);

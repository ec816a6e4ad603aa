-- The timeline as a plain table again: the database itself keeps (interaction, seq) and a chat's client
-- ids unique, so a duplicate is refused instead of stored silently (migration 007 dropped the first;
-- 005 the second), and every store (SQLite, PostgreSQL) can hold the same shape. Rows stay in arrival
-- order (rowid), so the table's pages still fill in order; the two indexes are the cost of each write.
-- Rows of 007 that break a uniqueness are kept where they can be: for a repeated seq the first row
-- stored wins; a repeated client id stays on its first message and the later ones keep their text
-- without it.
CREATE TABLE timeline_plain (
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
);
INSERT OR IGNORE INTO timeline_plain (interaction_id, seq, id, kind, author, agent_id, text, client_id, attachment, data, created_at)
  SELECT interaction_id, seq, id, kind, author, agent_id, text,
    CASE WHEN ROW_NUMBER() OVER (PARTITION BY interaction_id, client_id ORDER BY rowid) = 1 THEN client_id END,
    attachment, data, created_at
  FROM timeline ORDER BY rowid;
DROP TABLE timeline;
DROP TABLE timeline_index;
DROP TABLE timeline_index_state;
ALTER TABLE timeline_plain RENAME TO timeline;
CREATE UNIQUE INDEX timeline_client_id ON timeline(interaction_id, client_id) WHERE client_id IS NOT NULL;

-- The (interaction, seq) index of the timeline, written a chat at a time instead of a message at a
-- time. With the index on the timeline table itself, every message dirtied its own chat's index page,
-- so a group commit of 500 messages from 500 open chats wrote about 500 index pages (bench:chat: six
-- of the ten milliseconds of a commit). Here a chat's index entries are written together, a few dozen at
-- once; until then the store keeps them in memory (timeline-index.ts). Every timeline row up to
-- `watermark` is in the index; rows after it are folded in on start, so a crash loses no entry.
DROP INDEX timeline_seq;
CREATE TABLE timeline_index (
  interaction_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  entry_rowid INTEGER NOT NULL, -- the timeline row
  PRIMARY KEY (interaction_id, seq)
) WITHOUT ROWID;
INSERT INTO timeline_index (interaction_id, seq, entry_rowid) SELECT interaction_id, seq, rowid FROM timeline;
CREATE TABLE timeline_index_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  watermark INTEGER NOT NULL
);
INSERT INTO timeline_index_state (id, watermark) VALUES (1, COALESCE((SELECT MAX(rowid) FROM timeline), 0));

-- Call legs and the video session of an interaction, kept with it (JSON): they are always read and
-- written together with the interaction, and every change is also on the timeline.
ALTER TABLE interactions ADD COLUMN call_legs TEXT NOT NULL DEFAULT '[]';
ALTER TABLE interactions ADD COLUMN video TEXT;

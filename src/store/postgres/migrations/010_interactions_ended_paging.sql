-- Interactions by their end, with their id: the admin's list and CSV export page through them by
-- (ended_at, id) (closure-rows.ts listClosed), which this index bounds (SQLite's migration 019). Built
-- before the old one is dropped: the drop's exclusive lock on interactions is then held only for the
-- rest of this short transaction, not for the build over every chat ever handled.
CREATE INDEX interactions_ended_at_id ON interactions (ended_at, id) WHERE ended_at IS NOT NULL;
DROP INDEX interactions_ended;

-- Interactions by their end, with their id: the admin's list and CSV export page through them by
-- (ended_at, id) (closure-rows.ts listClosed), which this index bounds (SQLite's migration 019).
DROP INDEX interactions_ended;
CREATE INDEX interactions_ended ON interactions (ended_at, id) WHERE ended_at IS NOT NULL;

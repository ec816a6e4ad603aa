-- Interactions by their end, with their id: the admin's list and CSV export page through them by
-- (ended_at, id) (closure-rows.ts listClosed), which this index bounds. With ended_at alone each page
-- read again every row that ended after its cursor: an export of 200,000 chats took 2.6 s, its last
-- pages 21 ms each. What read interactions_ended before (ended since a time) reads this one as well.
DROP INDEX interactions_ended;
CREATE INDEX interactions_ended ON interactions(ended_at, id) WHERE ended_at IS NOT NULL;

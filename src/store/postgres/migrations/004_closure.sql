-- Closure of interactions (SQLite's 013_closure.sql): per service its disposition codes, wrap-up time
-- and what follows it, its canned responses; one wrap-up and one rating per interaction at most.
ALTER TABLE services ADD COLUMN disposition_codes jsonb NOT NULL DEFAULT '[]';
ALTER TABLE services ADD COLUMN wrap_up_seconds integer NOT NULL DEFAULT 0;
ALTER TABLE services ADD COLUMN after_wrap_up text NOT NULL DEFAULT 'ready' CHECK (after_wrap_up IN ('ready', 'not_ready'));
ALTER TABLE services ADD COLUMN canned_responses jsonb NOT NULL DEFAULT '[]';

CREATE TABLE wrap_ups (
  interaction_id text PRIMARY KEY,
  agent_id text NOT NULL,
  disposition text,
  notes text NOT NULL,
  done_at bigint NOT NULL
);

CREATE TABLE ratings (
  interaction_id text PRIMARY KEY,
  service_id text NOT NULL,
  score integer NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment text,
  rated_at bigint NOT NULL
);
CREATE INDEX ratings_rated_at ON ratings (rated_at);

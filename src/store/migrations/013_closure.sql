-- Closure of interactions (issue 19). Each service gets its disposition codes, wrap-up time and what
-- follows it, and its canned responses (JSON arrays of text). An interaction gets at most one wrap-up
-- (the agent's disposition and notes) and one rating (the customer's score and comment); the admins'
-- export reads them by the interaction's end (interactions_ended), the wallboard reads today's ratings.
ALTER TABLE services ADD COLUMN disposition_codes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE services ADD COLUMN wrap_up_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE services ADD COLUMN after_wrap_up TEXT NOT NULL DEFAULT 'ready' CHECK (after_wrap_up IN ('ready', 'not_ready'));
ALTER TABLE services ADD COLUMN canned_responses TEXT NOT NULL DEFAULT '[]';

CREATE TABLE wrap_ups (
  interaction_id TEXT PRIMARY KEY,
  agent_id TEXT NOT NULL,
  disposition TEXT,
  notes TEXT NOT NULL,
  done_at INTEGER NOT NULL
);

CREATE TABLE ratings (
  interaction_id TEXT PRIMARY KEY,
  service_id TEXT NOT NULL,
  score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment TEXT,
  rated_at INTEGER NOT NULL
);
CREATE INDEX ratings_rated_at ON ratings(rated_at);

// An interaction row `i` with its wrap-up and rating, in the same read (closure-rows.ts toClosed reads
// the columns, prefixed w_ and r_): the admins' list and an agent's History, each one query a page.
export const CLOSURE_COLUMNS = `w.agent_id AS w_agent_id, w.disposition AS w_disposition, w.notes AS w_notes, w.done_at AS w_done_at,
  r.score AS r_score, r.comment AS r_comment, r.rated_at AS r_rated_at`;
export const CLOSURE_JOINS = 'LEFT JOIN wrap_ups w ON w.interaction_id = i.id LEFT JOIN ratings r ON r.interaction_id = i.id';

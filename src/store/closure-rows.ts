// Wrap-ups and ratings to and from rows, and the statements both engines run (see rows.ts, sql.ts).
import type { ClosedInteraction, ClosedQuery, RatingRecord, WrapUpRecord } from '../domain/closure-ports.ts';
import { CLOSURE_COLUMNS, CLOSURE_JOINS } from './closure-join.ts';
import { num, str, toInteraction, type Row } from './rows.ts';
import { insertSql, type Placeholder } from './sql.ts';

const WRAP_UP_COLUMNS = ['interaction_id', 'agent_id', 'disposition', 'notes', 'done_at'] as const;
const RATING_COLUMNS = ['interaction_id', 'service_id', 'score', 'comment', 'rated_at'] as const;

export const wrapUpValues = (w: WrapUpRecord) => [w.interactionId, w.agentId, w.disposition, w.notes, w.doneAt];
export const ratingValues = (r: RatingRecord) => [r.interactionId, r.serviceId, r.score, r.comment, r.ratedAt];

export const toWrapUp = (row: Row): WrapUpRecord => ({
  interactionId: String(row.interaction_id),
  agentId: String(row.agent_id),
  disposition: str(row.disposition),
  notes: String(row.notes ?? ''),
  doneAt: Number(row.done_at),
});

export const toRating = (row: Row): RatingRecord => ({
  interactionId: String(row.interaction_id),
  serviceId: String(row.service_id),
  score: Number(row.score),
  comment: str(row.comment),
  ratedAt: Number(row.rated_at),
});

// An interaction with its wrap-up and rating, joined (columns prefixed w_ and r_).
export function toClosed(row: Row): ClosedInteraction {
  const id = String(row.id);
  return {
    interaction: toInteraction(row),
    wrapUp: row.w_agent_id == null ? null : toWrapUp({ interaction_id: id, agent_id: row.w_agent_id, disposition: row.w_disposition, notes: row.w_notes, done_at: row.w_done_at }),
    rating: row.r_score == null ? null : toRating({ interaction_id: id, service_id: row.service_id, score: row.r_score, comment: row.r_comment, rated_at: num(row.r_rated_at) }),
  };
}

// listClosed's upper bound as two parameters: a first page starts before (to, ''), as every row of the
// range is (its ended_at < to); a later page before its cursor, kept within the range (a cursor is sent
// back by the client). The index (ended_at, id) bounds the read by it.
export const closedCursor = (q: ClosedQuery): [number, string] => (q.before && q.before.endedAt < q.to ? [q.before.endedAt, q.before.id] : [q.to, '']);

// The statements of the closure store; an insert meeting a row already there changes nothing, which
// the store answers as a conflict (once per interaction).
export function closureStatements(mark: Placeholder) {
  return {
    insertWrapUp: insertSql('wrap_ups', WRAP_UP_COLUMNS, mark, 'ON CONFLICT (interaction_id) DO NOTHING'),
    insertRating: insertSql('ratings', RATING_COLUMNS, mark, 'ON CONFLICT (interaction_id) DO NOTHING'),
    getWrapUp: `SELECT * FROM wrap_ups WHERE interaction_id = ${mark(0)}`,
    getRating: `SELECT * FROM ratings WHERE interaction_id = ${mark(0)}`,
    ratingsSince: `SELECT * FROM ratings WHERE rated_at >= ${mark(0)}`,
    listClosed: `SELECT i.*, ${CLOSURE_COLUMNS} FROM interactions i ${CLOSURE_JOINS}
      WHERE i.ended_at >= ${mark(0)} AND (i.ended_at, i.id) < (${mark(1)}, ${mark(2)})
      ORDER BY i.ended_at DESC, i.id DESC LIMIT ${mark(3)}`,
  };
}

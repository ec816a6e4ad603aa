// The INSERT statements both engines run, built once from the column lists in rows.ts: SQLite and
// PostgreSQL share `INSERT ... ON CONFLICT (...) DO UPDATE SET c = excluded.c`, only their placeholders
// differ (`?` and `$1`).
import {
  AGENT_COLUMNS, AUDIT_COLUMNS, DELIVERY_COLUMNS, INTERACTION_COLUMNS, INTERACTION_UPDATES, PART_COLUMNS, ROUTE_COLUMNS, SEEN_COLUMNS,
  SERVICE_COLUMNS, TIMELINE_COLUMNS, interactionValues,
} from './rows.ts';
import { CLOSURE_COLUMNS, CLOSURE_JOINS } from './closure-join.ts';
import type { InteractionRecord } from '../domain/interaction.ts';
import type { HistoryQuery } from '../domain/ports.ts';

export type Placeholder = (index: number) => string;

export const sqlitePlaceholder: Placeholder = () => '?';
export const pgPlaceholder: Placeholder = (index) => `$${index + 1}`;

// `tail` follows the VALUES list: an ON CONFLICT clause, a RETURNING clause.
export function insertSql(table: string, columns: readonly string[], mark: Placeholder, tail = ''): string {
  const values = columns.map((_, i) => mark(i)).join(', ');
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${values})${tail ? ` ${tail}` : ''}`;
}

// Inserts the row, or updates `updates` of the row already holding its `conflict` key.
export function upsertSql(table: string, columns: readonly string[], conflict: string, updates: readonly string[], mark: Placeholder): string {
  const set = updates.map((c) => `${c} = excluded.${c}`).join(', ');
  return insertSql(table, columns, mark, `ON CONFLICT (${conflict}) DO UPDATE SET ${set}`);
}

// Every write statement the stores share, with the engine's placeholders. The values go in the order
// of the column lists (rows.ts: interactionValues, timelineValues, ...).
export function writeStatements(mark: Placeholder) {
  const ignore = 'ON CONFLICT (id) DO NOTHING';
  return {
    upsertInteraction: upsertSql('interactions', INTERACTION_COLUMNS, 'id', INTERACTION_UPDATES, mark),
    // The first save with an agent lists it among those who worked the interaction; later saves keep that.
    addInteractionAgent: insertSql('interaction_agents', ['interaction_id', 'agent_id', 'from_seq', 'ended_at'], mark, 'ON CONFLICT (interaction_id, agent_id) DO NOTHING'),
    // Once it ended, every agent's row of it says when (history's order).
    endInteractionAgents: `UPDATE interaction_agents SET ended_at = ${mark(0)} WHERE interaction_id = ${mark(1)}`,
    // A chat's client ids are unique in the database: a second message with one is not stored, and the
    // store answers client_id_taken (a seq already stored is an error, not ignored).
    insertEntry: insertSql('timeline', TIMELINE_COLUMNS, mark, 'ON CONFLICT (interaction_id, client_id) WHERE client_id IS NOT NULL DO NOTHING'),
    saveService: upsertSql('services', SERVICE_COLUMNS, 'id', SERVICE_COLUMNS.slice(1), mark),
    saveAgent: upsertSql('agents', AGENT_COLUMNS, 'id', AGENT_COLUMNS.slice(1), mark),
    appendAudit: insertSql('audit_log', AUDIT_COLUMNS, mark),
    // A gateway's retry of an id already stored changes nothing.
    markSeen: insertSql('sms_inbound', SEEN_COLUMNS, mark, ignore),
    savePart: insertSql('sms_inbound', PART_COLUMNS, mark, ignore),
    saveRoute: upsertSql('sms_routes', ROUTE_COLUMNS, 'interaction_id', ['service_number', 'gateway'], mark),
    saveDelivery: upsertSql('sms_outbound', DELIVERY_COLUMNS, 'id', ['status', 'detail', 'updated_at', 'segments', 'encoding'], mark),
    setDigest: upsertSql('sip_credentials', ['endpoint', 'md5_cred', 'created_at'], 'endpoint', ['md5_cred', 'created_at'], mark),
  };
}

type Statement = [sql: string, values: (string | number | null)[]];

// One save of an interaction: its row, and the agent holding it now among those who worked it (the
// history of every agent it went through, which the row's agent_id alone forgets on a transfer).
export function saveInteractionStatements(sql: ReturnType<typeof writeStatements>, rec: InteractionRecord): Statement[] {
  const statements: Statement[] = [[sql.upsertInteraction, interactionValues(rec)]];
  if (rec.agentId) statements.push([sql.addInteractionAgent, [rec.id, rec.agentId, rec.lastSeq, rec.endedAt]]);
  if (rec.endedAt !== null) statements.push([sql.endInteractionAgents, [rec.endedAt, rec.id]]);
  return statements;
}

// Ended interactions an agent worked, latest ended first, each with its wrap-up and rating (read with
// closure-rows.ts toClosed); and the agents who worked each of some interactions, in the order they got
// it (`rows`: the engine's way to the rows of the ids asked for).
// (The history read walks the agent's part of the index interaction_agents_history, newest first.)
export const HISTORY_SQL = (mark: Placeholder) => `SELECT i.*, ${CLOSURE_COLUMNS} FROM interaction_agents a JOIN interactions i ON i.id = a.interaction_id ${CLOSURE_JOINS}
  WHERE a.agent_id = ${mark(0)} AND a.ended_at IS NOT NULL AND (a.ended_at, a.interaction_id) < (${mark(1)}, ${mark(2)})
  ORDER BY a.ended_at DESC, a.interaction_id DESC LIMIT ${mark(3)}`;
// HISTORY_SQL's parameters: a first page starts before every end (the largest safe time, and '').
export const historyParams = (agentId: string, q: HistoryQuery): [string, number, string, number] => [agentId, q.before?.endedAt ?? Number.MAX_SAFE_INTEGER, q.before?.id ?? '', q.limit];
export const AGENTS_OF_SQL = (rows: string) => `SELECT interaction_id, agent_id FROM ${rows} ORDER BY from_seq, agent_id`;

export function agentsByInteraction(rows: readonly Record<string, unknown>[], ids: readonly string[]): Map<string, string[]> {
  const out = new Map(ids.map((id): [string, string[]] => [id, []]));
  for (const row of rows) out.get(String(row.interaction_id))?.push(String(row.agent_id));
  return out;
}

// The catch-up of interaction_agents after a rolling upgrade: nodes still on the code before it (which
// wrote interactions only) left chats they accepted or transferred without their agents' rows, and
// chats they ended with ended_at NULL there, so missing from History. Run by the leader when it takes
// over (the old leader is gone by then); idempotent, and safe to run twice at once (inserts skip the
// rows there, the update only fills NULLs). Only the interactions an old node may have touched are
// read, each through an index: the open ones (interactions_open), and those ended in the week after
// the migration that made the table was applied, from an hour before it for the nodes' clocks
// (interactions_ended); before that the migration itself filled the table. A week bounds what every
// later start reads; an upgrade that leaves older nodes running longer is not one this catches up.
// `json(field)`: the engine's read of a timeline data field.
export function catchUpAgentsStatements(migration: string, json: (field: string) => string): string[] {
  const applied = `(SELECT applied_at FROM schema_migrations WHERE version = '${migration}')`;
  const since = `ended_at BETWEEN ${applied} - 3600000 AND ${applied} + 604800000`;
  const touched = `SELECT id FROM interactions WHERE state <> 'ended' UNION ALL SELECT id FROM interactions WHERE ${since}`;
  const ended = `(SELECT ended_at FROM interactions i WHERE i.id = interaction_agents.interaction_id)`;
  return [
    // What the timeline tells (each accept, each transfer accepted or consult completed), as the migration did.
    `INSERT INTO interaction_agents (interaction_id, agent_id, from_seq)
      SELECT interaction_id, worker, MIN(seq) FROM (
        SELECT interaction_id, seq, CASE kind WHEN 'accepted' THEN agent_id ELSE ${json('toAgentId')} END AS worker FROM timeline
        WHERE interaction_id IN (${touched}) AND (kind = 'accepted' OR (kind = 'handoff' AND ${json('step')} IN ('accepted', 'completed')))
      ) AS steps WHERE worker IS NOT NULL
      GROUP BY interaction_id, worker
      ON CONFLICT (interaction_id, agent_id) DO NOTHING`,
    // And who holds it now (or held it last).
    `INSERT INTO interaction_agents (interaction_id, agent_id, from_seq)
      SELECT id, agent_id, last_seq FROM interactions WHERE id IN (${touched}) AND agent_id IS NOT NULL
      ON CONFLICT (interaction_id, agent_id) DO NOTHING`,
    `UPDATE interaction_agents SET ended_at = ${ended}
      WHERE ended_at IS NULL AND interaction_id IN (SELECT id FROM interactions WHERE ${since})`,
  ];
}

// The rows each of those statements changed, as the store answers them.
export const caughtUp = ([fromTimeline = 0, fromHolder = 0, ended = 0]: readonly number[]) => ({ added: fromTimeline + fromHolder, ended });

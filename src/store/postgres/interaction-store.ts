import type { ClosedInteraction } from '../../domain/closure-ports.ts';
import { conflict } from '../../domain/errors.ts';
import type { InteractionRecord, InteractionState } from '../../domain/interaction.ts';
import type { HistoryQuery, InteractionStore } from '../../domain/ports.ts';
import type { TimelineEntry, TimelineKind } from '../../domain/timeline.ts';
import type { Milestones } from '../../domain/floor-stats.ts';
import { clientIdTaken, MILESTONES_SQL, seqTaken, timelineValues, toEntry, toInteraction, toMilestones } from '../rows.ts';
import { toClosed } from '../closure-rows.ts';
import { AGENTS_OF_SQL, agentsByInteraction, catchUpAgentsStatements, caughtUp, HISTORY_SQL, historyParams, pgPlaceholder, saveInteractionStatements, writeStatements } from '../sql.ts';
import type { BulkInsert } from './group-commit.ts';
import { PgStore } from './pg-store.ts';
import { StatementBatcher } from './statement-batcher.ts';
import type { Query } from './transaction.ts';

const SQL = writeStatements(pgPlaceholder);
const CATCH_UP = catchUpAgentsStatements('005_interaction_agents.sql', (field) => `data->>'${field}'`);
// The client id's conflict inserts nothing and so returns no row; a repeated seq is an error.
const INSERT_ENTRY = `${SQL.insertEntry} RETURNING seq`;

// The same INSERT for many entries at once: one array per column (in TIMELINE_COLUMNS' order), the
// same conflict clause. The rows it returns are those stored.
const TIMELINE_TYPES = ['text', 'integer', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'bigint'];
const COLUMNS = 'interaction_id, seq, id, kind, author, agent_id, text, client_id, attachment, data, created_at';
const INSERT_ENTRIES = `INSERT INTO timeline (${COLUMNS})
  SELECT interaction_id, seq, id, kind, author, agent_id, text, client_id, attachment::jsonb, data::jsonb, created_at
  FROM unnest(${TIMELINE_TYPES.map((type, i) => `$${i + 1}::${type}[]`).join(', ')}) AS r(${COLUMNS})
  ON CONFLICT (interaction_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
  RETURNING interaction_id, seq`;

// The batched reads: one index lookup per key, whatever the size of the timeline. OFFSET 0 keeps each
// LATERAL subquery a subquery: without it PostgreSQL flattens it into a plain join, and it planned the
// new-entries read as a hash join over a sequential scan of the whole timeline (it guesses a third of
// a chat's entries lie after `seq > k.after_seq`), so every catch-up read grew with every message ever
// stored: 10 ms at 37k rows, 140 ms at 280k (bench:chat --cluster, docs/cluster.md).
export const BY_CLIENT_ID = `SELECT t.* FROM unnest($1::text[], $2::text[]) AS k(interaction_id, client_id)
  CROSS JOIN LATERAL (SELECT * FROM timeline WHERE interaction_id = k.interaction_id AND client_id = k.client_id OFFSET 0) t`;
export const ENTRIES_AFTER = `SELECT k.n, t.* FROM unnest($1::text[], $2::integer[]) WITH ORDINALITY AS k(interaction_id, after_seq, n)
  CROSS JOIN LATERAL (SELECT * FROM timeline WHERE interaction_id = k.interaction_id AND seq > k.after_seq OFFSET 0) t ORDER BY k.n, t.seq`;

// The agents of many interactions: an index lookup per id, as above (an IN list was planned as a
// sequential scan of the table until its statistics caught up).
const AGENTS_OF = AGENTS_OF_SQL('unnest($1::text[]) AS k(id) CROSS JOIN LATERAL (SELECT * FROM interaction_agents WHERE interaction_id = k.id OFFSET 0) a');

// A unique violation (23505) of the timeline's primary key, (interaction_id, seq).
function isSeqTaken(err: unknown): boolean {
  const { code, constraint } = err as { code?: string; constraint?: string };
  return code === '23505' && constraint === 'timeline_pkey';
}

// Messages (entries that change nothing on their interaction) of one commit batch, in one statement.
const appendEntries: BulkInsert = {
  async insert(query: Query, rows: ReadonlyArray<readonly unknown[]>): Promise<boolean[]> {
    const columns = TIMELINE_TYPES.map((_, c) => rows.map((row) => row[c]));
    const stored = new Set((await query(INSERT_ENTRIES, columns)).rows.map((r: { interaction_id: string; seq: number }) => `${r.interaction_id}:${r.seq}`));
    return rows.map((row) => stored.has(`${String(row[0])}:${String(row[1])}`));
  },
  skipped: (row) => conflict('client_id_taken', clientIdTaken(row[7] as string | null)),
};

export class PgInteractionStore extends PgStore implements InteractionStore {
  // The reads of the hot paths, each batched (read-batcher.ts): a customer send looks its client id up
  // first (TimelineWriter.appendOnce); a follower reads each touched chat's new entries, then its row.
  readonly #byClientId = new StatementBatcher<{ interactionId: string; clientId: string }, TimelineEntry | undefined>(async (keys) => {
    const rows = await this.all(
      BY_CLIENT_ID,
      toEntry,
      keys.map((k) => k.interactionId),
      keys.map((k) => k.clientId),
    );
    const found = new Map(rows.map((e) => [`${e.interactionId}\n${e.clientId}`, e]));
    return keys.map((k) => found.get(`${k.interactionId}\n${k.clientId}`));
  });

  readonly #entriesAfter = new StatementBatcher<{ interactionId: string; afterSeq: number }, TimelineEntry[]>(async (keys) => {
    const rows = await this.all(
      ENTRIES_AFTER,
      (row) => ({ n: Number(row.n), entry: toEntry(row) }),
      keys.map((k) => k.interactionId),
      keys.map((k) => k.afterSeq),
    );
    const out = keys.map((): TimelineEntry[] => []);
    for (const { n, entry } of rows) out[n - 1]!.push(entry);
    return out;
  });

  readonly #rows = new StatementBatcher<string, InteractionRecord | undefined>(async (ids) => {
    const rows = await this.all('SELECT * FROM interactions WHERE id = ANY($1::text[])', toInteraction, ids);
    const found = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => found.get(id));
  });
  async loadOpenInteractions(): Promise<InteractionRecord[]> {
    // last_seq is saved with state changes only; messages move it on, so take it from the timeline.
    const rows = await this.all(
      `SELECT i.*, GREATEST(i.last_seq, COALESCE((SELECT MAX(seq) FROM timeline t WHERE t.interaction_id = i.id), 0)) AS open_last_seq
       FROM interactions i WHERE i.state <> 'ended' ORDER BY i.created_at`,
      (row) => ({ ...row, last_seq: row.open_last_seq }),
    );
    return rows.map(toInteraction);
  }

  getInteraction(id: string): Promise<InteractionRecord | undefined> {
    return this.#rows.ask(id);
  }

  async findInteractionByStartKey(startKeyHash: string): Promise<InteractionRecord | undefined> {
    const [row] = await this.all('SELECT * FROM interactions WHERE start_key_hash = $1', toInteraction, startKeyHash);
    return row;
  }

  saveInteraction(rec: InteractionRecord): Promise<void> {
    const statements = saveInteractionStatements(SQL, rec);
    return this.writes.write(
      async (query) => {
        for (const [sql, values] of statements) await query(sql, values);
      },
      [{ kind: 'interaction', id: rec.id, seq: rec.lastSeq }],
    );
  }

  // The interaction given with its entry is saved in the same write: if the entry is refused (its seq,
  // or its client id), the write rolls back and neither is kept.
  appendEntry(entry: TimelineEntry, interaction?: InteractionRecord): Promise<void> {
    const upsert = interaction ? saveInteractionStatements(SQL, interaction) : null;
    const values = timelineValues(entry);
    return this.writes.write(
      async (query) => {
        for (const [sql, params] of upsert ?? []) await query(sql, params);
        const inserted = await query(INSERT_ENTRY, values).catch((err: unknown) => {
          throw isSeqTaken(err) ? conflict('seq_taken', seqTaken(entry)) : err;
        });
        if (inserted.rowCount === 0) throw conflict('client_id_taken', clientIdTaken(entry.clientId));
      },
      [{ kind: 'interaction', id: entry.interactionId, seq: entry.seq }],
      upsert ? undefined : { into: appendEntries, values },
    );
  }

  findEntryByClientId(interactionId: string, clientId: string): Promise<TimelineEntry | undefined> {
    return this.#byClientId.ask({ interactionId, clientId });
  }

  listEntries(interactionId: string, query: { afterSeq?: number; kinds?: readonly TimelineKind[] } = {}): Promise<TimelineEntry[]> {
    if (query.kinds === undefined) return this.#entriesAfter.ask({ interactionId, afterSeq: query.afterSeq ?? 0 });
    return this.all(
      'SELECT * FROM timeline WHERE interaction_id = $1 AND seq > $2 AND ($3::text[] IS NULL OR kind = ANY($3)) ORDER BY seq',
      toEntry,
      interactionId,
      query.afterSeq ?? 0,
      query.kinds ?? null,
    );
  }

  listHistory(agentId: string, query: HistoryQuery): Promise<ClosedInteraction[]> {
    return this.all(HISTORY_SQL(pgPlaceholder), toClosed, ...historyParams(agentId, query));
  }

  async listAgentsOf(interactionIds: readonly string[]): Promise<Map<string, string[]>> {
    return agentsByInteraction(await this.all(AGENTS_OF, (row) => row, interactionIds), interactionIds);
  }

  listMilestonesSince(since: number): Promise<Milestones[]> {
    return this.all(MILESTONES_SQL(pgPlaceholder), toMilestones, since, since);
  }

  // sql.ts catchUpAgentsStatements: the agents' rows added, and the rows given their end.
  catchUpAgents(): Promise<{ added: number; ended: number }> {
    return this.writes.write(async (query) => {
      const counts: number[] = [];
      for (const sql of CATCH_UP) counts.push((await query(sql)).rowCount ?? 0);
      return caughtUp(counts);
    });
  }

  async countByState(): Promise<Record<InteractionState, number>> {
    const counts: Record<InteractionState, number> = { queued: 0, offered: 0, active: 0, ended: 0 };
    for (const row of (await this.pool.query('SELECT state, COUNT(*) AS n FROM interactions GROUP BY state')).rows) {
      counts[row.state as InteractionState] = Number(row.n);
    }
    return counts;
  }
}

import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { ClosedInteraction } from '../../domain/closure-ports.ts';
import { conflict } from '../../domain/errors.ts';
import type { InteractionRecord, InteractionState } from '../../domain/interaction.ts';
import type { HistoryQuery, InteractionStore } from '../../domain/ports.ts';
import type { TimelineEntry, TimelineKind } from '../../domain/timeline.ts';
import type { Milestones } from '../../domain/floor-stats.ts';
import { clientIdTaken, MILESTONES_SQL, seqTaken, timelineValues, toEntry, toInteraction, toMilestones } from '../rows.ts';
import { toClosed } from '../closure-rows.ts';
import { AGENTS_OF_SQL, agentsByInteraction, catchUpAgentsStatements, caughtUp, HISTORY_SQL, historyParams, saveInteractionStatements, sqlitePlaceholder, writeStatements } from '../sql.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { WriteBatcher, WriteOp } from './write-batcher.ts';

const SQL = writeStatements(sqlitePlaceholder);
const SEQ_UNIQUE = 'UNIQUE constraint failed: timeline.interaction_id, timeline.seq';
const CATCH_UP = catchUpAgentsStatements('014_interaction_agents.sql', (field) => `json_extract(data, '$.${field}')`);

export class SqliteInteractionStore extends SqliteStore implements InteractionStore {
  readonly #byClientId: StatementSync;
  readonly #entries: StatementSync;
  readonly #entriesOfKinds: StatementSync;
  readonly #openByState: StatementSync;
  readonly #all: StatementSync;

  constructor(db: DatabaseSync, batcher: WriteBatcher) {
    super(db, batcher);
    this.#byClientId = db.prepare('SELECT * FROM timeline WHERE interaction_id = ? AND client_id = ?');
    this.#entries = db.prepare('SELECT * FROM timeline WHERE interaction_id = ? AND seq > ? ORDER BY seq');
    this.#openByState = db.prepare("SELECT state, COUNT(*) AS n FROM interactions WHERE state <> 'ended' GROUP BY state");
    this.#all = db.prepare('SELECT COUNT(*) AS n FROM interactions');
    this.#entriesOfKinds = db.prepare('SELECT * FROM timeline WHERE interaction_id = ? AND seq > ? AND kind IN (SELECT value FROM json_each(?)) ORDER BY seq');
  }

  async loadOpenInteractions(): Promise<InteractionRecord[]> {
    // last_seq is saved with state changes only; messages move it on, so take it from the timeline.
    return this.db
      .prepare(
        `SELECT i.*, MAX(i.last_seq, COALESCE((SELECT MAX(seq) FROM timeline t WHERE t.interaction_id = i.id), 0)) AS last_seq
         FROM interactions i WHERE i.state <> 'ended' ORDER BY i.created_at`,
      )
      .all()
      .map(toInteraction);
  }

  async getInteraction(id: string): Promise<InteractionRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM interactions WHERE id = ?').get(id);
    return row ? toInteraction(row) : undefined;
  }

  async findInteractionByStartKey(startKeyHash: string): Promise<InteractionRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM interactions WHERE start_key_hash = ?').get(startKeyHash);
    return row ? toInteraction(row) : undefined;
  }

  saveInteraction(rec: InteractionRecord): Promise<void> {
    // Snapshot now: the record may change before the batch commits.
    return this.batcher.write(saveInteractionStatements(SQL, rec));
  }

  // A seq already stored is refused by the database (the whole write fails: seq_taken); a client id
  // already stored is refused as a conflict. Only customer messages carry a client id, and they change
  // no interaction, so nothing else of such a write is kept without its entry.
  appendEntry(entry: TimelineEntry, interaction?: InteractionRecord): Promise<void> {
    const upsert: WriteOp[] = interaction ? saveInteractionStatements(SQL, interaction) : [];
    // An insert that met the client id's conflict changed no row (PostgreSQL's store: RETURNING no row).
    return this.batcher.writeCounting([...upsert, [SQL.insertEntry, timelineValues(entry)]]).then(
      (changes) => {
        if (changes.at(-1) === 0) throw conflict('client_id_taken', clientIdTaken(entry.clientId));
      },
      (err: unknown) => {
        // SQLite names the columns of the unique index timeline_seq (migration 005).
        if ((err as Error).message?.includes(SEQ_UNIQUE)) throw conflict('seq_taken', seqTaken(entry));
        throw err;
      },
    );
  }

  async findEntryByClientId(interactionId: string, clientId: string): Promise<TimelineEntry | undefined> {
    const row = this.#byClientId.get(interactionId, clientId);
    return row ? toEntry(row) : undefined;
  }

  async listEntries(interactionId: string, query: { afterSeq?: number; kinds?: readonly TimelineKind[] } = {}): Promise<TimelineEntry[]> {
    // Only the kinds asked for are read (a photo's lookup reads the chat's photos, not all its text).
    const rows = query.kinds ? this.#entriesOfKinds.all(interactionId, query.afterSeq ?? 0, JSON.stringify(query.kinds)) : this.#entries.all(interactionId, query.afterSeq ?? 0);
    return rows.map(toEntry);
  }

  async listHistory(agentId: string, query: HistoryQuery): Promise<ClosedInteraction[]> {
    return this.db.prepare(HISTORY_SQL(sqlitePlaceholder)).all(...historyParams(agentId, query)).map(toClosed);
  }

  async listAgentsOf(interactionIds: readonly string[]): Promise<Map<string, string[]>> {
    const rows = this.db.prepare(AGENTS_OF_SQL('interaction_agents WHERE interaction_id IN (SELECT value FROM json_each(?))')).all(JSON.stringify(interactionIds));
    return agentsByInteraction(rows, interactionIds);
  }

  async listMilestonesSince(since: number): Promise<Milestones[]> {
    return this.db.prepare(MILESTONES_SQL(sqlitePlaceholder)).all(since, since).map(toMilestones);
  }

  // sql.ts catchUpAgentsStatements: the agents' rows added, and the rows given their end.
  async catchUpAgents(): Promise<{ added: number; ended: number }> {
    return caughtUp(await this.batcher.writeCounting(CATCH_UP.map((sql) => [sql, []])));
  }

  // The open ones from their partial index, the ended ones as all less those (a bare COUNT(*) SQLite
  // takes from an index's size): a GROUP BY over every chat ever handled scanned the table on the event
  // loop at each /metrics scrape, 124 ms at 200,000 chats; this takes 1 ms. One read transaction, so
  // one snapshot.
  async countByState(): Promise<Record<InteractionState, number>> {
    const counts: Record<InteractionState, number> = { queued: 0, offered: 0, active: 0, ended: 0 };
    this.db.exec('BEGIN');
    try {
      for (const row of this.#openByState.all()) counts[row.state as InteractionState] = Number(row.n);
      counts.ended = Number(this.#all.get()!.n) - counts.queued - counts.offered - counts.active;
    } finally {
      this.db.exec('COMMIT');
    }
    return counts;
  }
}

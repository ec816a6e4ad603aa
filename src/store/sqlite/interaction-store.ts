import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { InteractionRecord, InteractionState, Party } from '../../domain/interaction.ts';
import type { InteractionStore } from '../../domain/ports.ts';
import type { TimelineEntry, TimelineKind } from '../../domain/timeline.ts';
import { ClientIdIndex } from './client-id-index.ts';
import { TimelineIndex, type TimelineIndexOptions } from './timeline-index.ts';
import type { WriteBatcher, WriteOp } from './write-batcher.ts';

type Row = Record<string, SQLInputValue>;

const UPSERT_INTERACTION = `
  INSERT INTO interactions (id, service_id, channel, customer_name, customer_phone, token_hash, state, offered_to,
    offered_at, agent_id, created_at, accepted_at, ended_at, ended_by, context, last_seq, call_legs, video)
  VALUES ($id, $service_id, $channel, $customer_name, $customer_phone, $token_hash, $state, $offered_to,
    $offered_at, $agent_id, $created_at, $accepted_at, $ended_at, $ended_by, $context, $last_seq, $call_legs, $video)
  ON CONFLICT (id) DO UPDATE SET state = excluded.state, offered_to = excluded.offered_to,
    offered_at = excluded.offered_at, agent_id = excluded.agent_id, accepted_at = excluded.accepted_at,
    ended_at = excluded.ended_at, ended_by = excluded.ended_by, context = excluded.context,
    last_seq = excluded.last_seq, call_legs = excluded.call_legs, video = excluded.video`;

const INSERT_ENTRY = `
  INSERT INTO timeline (rowid, interaction_id, seq, id, kind, author, agent_id, text, client_id, attachment, data, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

// A chat's rows: those in the index, and those whose index entries still wait in memory (?3, JSON).
const ROWS_OF_CHAT = `rowid IN (SELECT entry_rowid FROM timeline_index WHERE interaction_id = ?1 AND seq > ?2
  UNION ALL SELECT value FROM json_each(?3))`;

export class SqliteInteractionStore implements InteractionStore {
  readonly #db: DatabaseSync;
  readonly #batcher: WriteBatcher;
  readonly #index: TimelineIndex;
  readonly #byRowid: StatementSync;
  readonly #bySeq: StatementSync;
  readonly #byClientId: StatementSync;
  readonly #entries: StatementSync;
  readonly #clientIds: ClientIdIndex;

  // `onError` hears of index writes that failed (their entries are written again later).
  constructor(db: DatabaseSync, batcher: WriteBatcher, opts: { onError: (err: unknown) => void; index?: TimelineIndexOptions }) {
    this.#db = db;
    this.#batcher = batcher;
    this.#index = new TimelineIndex(db, batcher, opts.onError, opts.index);
    this.#byRowid = db.prepare('SELECT * FROM timeline WHERE rowid = ?');
    this.#bySeq = db.prepare('SELECT t.* FROM timeline_index i JOIN timeline t ON t.rowid = i.entry_rowid WHERE i.interaction_id = ? AND i.seq = ?');
    this.#byClientId = db.prepare(`SELECT * FROM timeline WHERE ${ROWS_OF_CHAT} AND client_id = ?4`);
    this.#entries = db.prepare(`SELECT * FROM timeline WHERE ${ROWS_OF_CHAT} ORDER BY seq`);
    const clientIdsOf = db.prepare(`SELECT seq, client_id FROM timeline WHERE ${ROWS_OF_CHAT} AND client_id IS NOT NULL`);
    this.#clientIds = new ClientIdIndex((id) =>
      clientIdsOf.all(id, 0, this.#index.unindexedRowids(id)).map((row) => ({ seq: Number(row.seq), clientId: String(row.client_id) })),
    );
  }

  async loadOpenInteractions(): Promise<InteractionRecord[]> {
    // last_seq is saved with state changes only; messages move it on, so take it from the timeline
    // (all of it is in the index on start).
    return this.#db
      .prepare(
        `SELECT i.*, MAX(i.last_seq, COALESCE((SELECT MAX(seq) FROM timeline_index t WHERE t.interaction_id = i.id), 0)) AS last_seq
         FROM interactions i WHERE i.state <> 'ended' ORDER BY i.created_at`,
      )
      .all()
      .map(toInteraction);
  }

  async getInteraction(id: string): Promise<InteractionRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM interactions WHERE id = ?').get(id);
    return row ? toInteraction(row) : undefined;
  }

  saveInteraction(rec: InteractionRecord): Promise<void> {
    const params = interactionParams(rec); // snapshot now: the record may change before the batch commits
    if (rec.state === 'ended') this.#forget(rec.id);
    return this.#batcher.write([[UPSERT_INTERACTION, params]]);
  }

  appendEntry(entry: TimelineEntry, interaction?: InteractionRecord): Promise<void> {
    const upsert: WriteOp[] = interaction ? [[UPSERT_INTERACTION, interactionParams(interaction)]] : [];
    const written = this.#index.write(entry.interactionId, entry.seq, (rowid) =>
      this.#batcher.write([...upsert, [INSERT_ENTRY, timelineParams(entry, rowid)]]),
    );
    if (interaction?.state === 'ended') this.#forget(interaction.id);
    if (entry.clientId === null) return written;
    // Only once committed: a failed write gives its seq back, and the client id must not point at it.
    const { interactionId, clientId, seq } = entry;
    return written.then(() => this.#clientIds.remember(interactionId, clientId, seq));
  }

  // An ended chat takes no more messages: what is kept in memory for its sends goes.
  #forget(interactionId: string): void {
    this.#clientIds.forget(interactionId);
    this.#index.end(interactionId);
  }

  async findEntryByClientId(interactionId: string, clientId: string): Promise<TimelineEntry | undefined> {
    const seq = this.#clientIds.candidate(interactionId, clientId);
    if (seq === undefined) return undefined;
    const unindexed = this.#index.unindexedRowid(interactionId, seq);
    const row = unindexed === undefined ? this.#bySeq.get(interactionId, seq) : this.#byRowid.get(unindexed);
    if (row && row.client_id === clientId) return toEntry(row);
    // Another id with the same hash: look this one up by value (it scans the chat's rows; rare).
    const exact = this.#byClientId.get(interactionId, 0, this.#index.unindexedRowids(interactionId), clientId);
    return exact ? toEntry(exact) : undefined;
  }

  async listEntries(interactionId: string, query: { afterSeq?: number; kinds?: readonly TimelineKind[] } = {}): Promise<TimelineEntry[]> {
    const afterSeq = query.afterSeq ?? 0;
    const rows = this.#entries.all(interactionId, afterSeq, this.#index.unindexedRowids(interactionId, afterSeq)).map(toEntry);
    return query.kinds ? rows.filter((e) => query.kinds!.includes(e.kind)) : rows;
  }

  async listHistory(agentId: string, limit: number): Promise<InteractionRecord[]> {
    return this.#db
      .prepare("SELECT * FROM interactions WHERE agent_id = ? AND state = 'ended' ORDER BY ended_at DESC LIMIT ?")
      .all(agentId, limit)
      .map(toInteraction);
  }

  async countByState(): Promise<Record<InteractionState, number>> {
    const counts: Record<InteractionState, number> = { queued: 0, offered: 0, active: 0, ended: 0 };
    for (const row of this.#db.prepare('SELECT state, COUNT(*) AS n FROM interactions GROUP BY state').all()) {
      counts[row.state as InteractionState] = Number(row.n);
    }
    return counts;
  }
}

function interactionParams(rec: InteractionRecord): Row {
  return {
    $id: rec.id,
    $service_id: rec.serviceId,
    $channel: rec.channel,
    $customer_name: rec.customer.name,
    $customer_phone: rec.customer.phone,
    $token_hash: rec.tokenHash,
    $state: rec.state,
    $offered_to: rec.offeredTo,
    $offered_at: rec.offeredAt,
    $agent_id: rec.agentId,
    $created_at: rec.createdAt,
    $accepted_at: rec.acceptedAt,
    $ended_at: rec.endedAt,
    $ended_by: rec.endedBy,
    $context: JSON.stringify(rec.context),
    $last_seq: rec.lastSeq,
    $call_legs: JSON.stringify(rec.callLegs),
    $video: rec.video ? JSON.stringify(rec.video) : null,
  };
}

function timelineParams(e: TimelineEntry, rowid: number): SQLInputValue[] {
  const json = (v: object | null) => (v ? JSON.stringify(v) : null);
  return [rowid, e.interactionId, e.seq, e.id, e.kind, e.author, e.agentId, e.text, e.clientId, json(e.attachment), json(e.data), e.createdAt];
}

const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function toInteraction(row: Record<string, unknown>): InteractionRecord {
  return {
    id: String(row.id),
    serviceId: String(row.service_id),
    channel: row.channel as InteractionRecord['channel'],
    customer: { name: String(row.customer_name), phone: String(row.customer_phone) },
    tokenHash: String(row.token_hash),
    state: row.state as InteractionState,
    offeredTo: str(row.offered_to),
    offeredAt: num(row.offered_at),
    agentId: str(row.agent_id),
    createdAt: Number(row.created_at),
    acceptedAt: num(row.accepted_at),
    endedAt: num(row.ended_at),
    endedBy: str(row.ended_by) as Party | null,
    context: JSON.parse(String(row.context)),
    lastSeq: Number(row.last_seq),
    callLegs: JSON.parse(String(row.call_legs ?? '[]')),
    video: row.video ? JSON.parse(String(row.video)) : null,
  };
}

function toEntry(row: Record<string, unknown>): TimelineEntry {
  return {
    id: String(row.id),
    interactionId: String(row.interaction_id),
    seq: Number(row.seq),
    kind: row.kind as TimelineKind,
    author: row.author as Party,
    agentId: str(row.agent_id),
    text: str(row.text),
    clientId: str(row.client_id),
    attachment: row.attachment ? JSON.parse(String(row.attachment)) : null,
    data: row.data ? JSON.parse(String(row.data)) : null,
    createdAt: Number(row.created_at),
  };
}

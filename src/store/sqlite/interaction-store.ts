import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { conflict } from '../../domain/errors.ts';
import type { InteractionRecord, InteractionState, Party } from '../../domain/interaction.ts';
import type { InteractionStore } from '../../domain/ports.ts';
import type { TimelineEntry, TimelineKind } from '../../domain/timeline.ts';
import { SqliteStore } from './sqlite-store.ts';
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

// A chat's client ids are unique in the database: a second message with one is not stored (SQLite's
// equivalent of RETURNING no row is a change count of 0).
const INSERT_ENTRY = `
  INSERT INTO timeline (interaction_id, seq, id, kind, author, agent_id, text, client_id, attachment, data, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (interaction_id, client_id) WHERE client_id IS NOT NULL DO NOTHING`;

export class SqliteInteractionStore extends SqliteStore implements InteractionStore {
  readonly #byClientId: StatementSync;
  readonly #entries: StatementSync;

  constructor(db: DatabaseSync, batcher: WriteBatcher) {
    super(db, batcher);
    this.#byClientId = db.prepare('SELECT * FROM timeline WHERE interaction_id = ? AND client_id = ?');
    this.#entries = db.prepare('SELECT * FROM timeline WHERE interaction_id = ? AND seq > ? ORDER BY seq');
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

  saveInteraction(rec: InteractionRecord): Promise<void> {
    // Snapshot now: the record may change before the batch commits.
    return this.batcher.write([[UPSERT_INTERACTION, interactionParams(rec)]]);
  }

  // A seq already stored is refused by the database (the whole write fails); a client id already
  // stored is refused as a conflict. Only customer messages carry a client id, and they change no
  // interaction, so nothing else of such a write is kept without its entry.
  appendEntry(entry: TimelineEntry, interaction?: InteractionRecord): Promise<void> {
    const upsert: WriteOp[] = interaction ? [[UPSERT_INTERACTION, interactionParams(interaction)]] : [];
    return this.batcher.writeCounting([...upsert, [INSERT_ENTRY, timelineParams(entry)]]).then((changes) => {
      if (changes.at(-1) === 0) {
        throw conflict('client_id_taken', `client_id ${entry.clientId} already names another message of this chat: send it again to get that one.`);
      }
    });
  }

  async findEntryByClientId(interactionId: string, clientId: string): Promise<TimelineEntry | undefined> {
    const row = this.#byClientId.get(interactionId, clientId);
    return row ? toEntry(row) : undefined;
  }

  async listEntries(interactionId: string, query: { afterSeq?: number; kinds?: readonly TimelineKind[] } = {}): Promise<TimelineEntry[]> {
    const rows = this.#entries.all(interactionId, query.afterSeq ?? 0).map(toEntry);
    return query.kinds ? rows.filter((e) => query.kinds!.includes(e.kind)) : rows;
  }

  async listHistory(agentId: string, limit: number): Promise<InteractionRecord[]> {
    return this.db
      .prepare("SELECT * FROM interactions WHERE agent_id = ? AND state = 'ended' ORDER BY ended_at DESC LIMIT ?")
      .all(agentId, limit)
      .map(toInteraction);
  }

  async countByState(): Promise<Record<InteractionState, number>> {
    const counts: Record<InteractionState, number> = { queued: 0, offered: 0, active: 0, ended: 0 };
    for (const row of this.db.prepare('SELECT state, COUNT(*) AS n FROM interactions GROUP BY state').all()) {
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

function timelineParams(e: TimelineEntry): SQLInputValue[] {
  const json = (v: object | null) => (v ? JSON.stringify(v) : null);
  return [e.interactionId, e.seq, e.id, e.kind, e.author, e.agentId, e.text, e.clientId, json(e.attachment), json(e.data), e.createdAt];
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

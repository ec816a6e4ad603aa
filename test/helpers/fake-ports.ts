// In-memory implementations of the domain's ports, for unit tests of the rules. No I/O: time only moves
// when a test says so, and offer timeouts fire when the manual clock passes them.
import type { Agent, AuditEntry, NewAuditEntry, Service } from '../../src/domain/directory.ts';
import type { ClosedInteraction, ClosedQuery, ClosureStore, RatingRecord, WrapUpRecord } from '../../src/domain/closure-ports.ts';
import { conflict, DomainError } from '../../src/domain/errors.ts';
import { milestonesOf, type Milestones } from '../../src/domain/floor-stats.ts';
import type { InteractionRecord, InteractionState } from '../../src/domain/interaction.ts';
import type {
  AttachmentStore,
  Clock,
  Directory,
  HistoryQuery,
  InteractionStore,
  RecordingStore,
  Timers,
} from '../../src/domain/ports.ts';
import type { RecordingFile } from '../../src/domain/recording.ts';
import type { TimelineEntry, TimelineKind } from '../../src/domain/timeline.ts';

// ---- time ----------------------------------------------------------------------------------------

interface Scheduled {
  due: number;
  order: number;
  fn: () => void;
}

// A clock that stands still until advance() moves it; timers scheduled on it fire, in due order, as it
// passes their due time (a timer due exactly at the new time fires too).
export class ManualClock implements Clock, Timers {
  #now: number;
  #order = 0;
  readonly #scheduled = new Set<Scheduled>();

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  schedule(ms: number, fn: () => void): { cancel(): void } {
    const item: Scheduled = { due: this.#now + ms, order: this.#order++, fn };
    this.#scheduled.add(item);
    return { cancel: () => void this.#scheduled.delete(item) };
  }

  // How many timers are scheduled and not yet fired or cancelled.
  get pendingTimers(): number {
    return this.#scheduled.size;
  }

  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let next: Scheduled | undefined;
      for (const item of this.#scheduled) {
        if (item.due > target) continue;
        if (!next || item.due < next.due || (item.due === next.due && item.order < next.order)) next = item;
      }
      if (!next) break;
      this.#scheduled.delete(next);
      this.#now = Math.max(this.#now, next.due);
      next.fn();
    }
    this.#now = target;
  }
}

// ---- stores --------------------------------------------------------------------------------------

const clone = <T>(value: T): T => structuredClone(value);

// Lets the event loop turn once, the way a real durable write does: concurrent callers interleave.
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

// Keeps what the SQLite store keeps, with the same constraints: one entry per (interaction, seq) and one
// per (interaction, client id). Records are copied on the way in and out, so the tests see what was
// written, not the domain's live objects.
export class MemoryInteractionStore implements InteractionStore {
  readonly interactions = new Map<string, InteractionRecord>();
  readonly entries = new Map<string, TimelineEntry[]>();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #agentsOf = new Map<string, string[]>();
  #failures: Error[] = [];
  // The wrap-ups and ratings the history joins, once a MemoryClosureStore is made on this store.
  closures: Pick<MemoryClosureStore, 'wrapUps' | 'ratings'> | undefined;

  // The next `count` appendEntry calls reject with this error (to see how the rules cope with a failed write).
  failNextAppends(error: Error, count = 1): void {
    for (let i = 0; i < count; i++) this.#failures.push(error);
  }

  // Resolves once every write started so far (including the ones the domain does not await) is done.
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  entriesOf(interactionId: string): TimelineEntry[] {
    return [...(this.entries.get(interactionId) ?? [])].sort((a, b) => a.seq - b.seq).map(clone);
  }

  // Like the SQLite store: the record is saved with state changes only, so lastSeq is taken from the
  // timeline when it is further on (messages move it without saving the record).
  async loadOpenInteractions(): Promise<InteractionRecord[]> {
    return [...this.interactions.values()]
      .filter((rec) => rec.state !== 'ended')
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((rec) => {
        const copy = clone(rec);
        for (const e of this.entries.get(rec.id) ?? []) copy.lastSeq = Math.max(copy.lastSeq, e.seq);
        return copy;
      });
  }

  async getInteraction(id: string): Promise<InteractionRecord | undefined> {
    const rec = this.interactions.get(id);
    return rec ? clone(rec) : undefined;
  }

  async findInteractionByStartKey(startKeyHash: string): Promise<InteractionRecord | undefined> {
    const rec = [...this.interactions.values()].find((r) => r.startKey?.hash === startKeyHash);
    return rec ? clone(rec) : undefined;
  }

  saveInteraction(rec: InteractionRecord): Promise<void> {
    const snapshot = clone(rec);
    return this.#track(async () => {
      await turn();
      this.#keep(snapshot);
    });
  }

  appendEntry(entry: TimelineEntry, interaction?: InteractionRecord): Promise<void> {
    const entrySnapshot = clone(entry);
    const recSnapshot = interaction ? clone(interaction) : undefined;
    const failure = this.#failures.shift();
    return this.#track(async () => {
      await turn();
      if (failure) throw failure;
      const list = this.entries.get(entrySnapshot.interactionId) ?? [];
      if (list.some((e) => e.seq === entrySnapshot.seq)) {
        throw new DomainError('conflict', 'seq_taken', `seq ${entrySnapshot.seq} of interaction ${entrySnapshot.interactionId} is stored already.`);
      }
      if (entrySnapshot.clientId !== null && list.some((e) => e.clientId === entrySnapshot.clientId)) {
        throw new DomainError('conflict', 'client_id_taken', `client_id ${entrySnapshot.clientId} already names another message of this chat.`);
      }
      if (recSnapshot) this.#keep(recSnapshot);
      list.push(entrySnapshot);
      this.entries.set(entrySnapshot.interactionId, list);
    });
  }

  async findEntryByClientId(interactionId: string, clientId: string): Promise<TimelineEntry | undefined> {
    await turn();
    const found = this.entries.get(interactionId)?.find((e) => e.clientId === clientId);
    return found ? clone(found) : undefined;
  }

  async listEntries(
    interactionId: string,
    query: { afterSeq?: number; kinds?: readonly TimelineKind[] } = {},
  ): Promise<TimelineEntry[]> {
    const after = query.afterSeq ?? 0;
    return this.entriesOf(interactionId).filter((e) => e.seq > after && (!query.kinds || query.kinds.includes(e.kind)));
  }

  // As the stores: every agent a saved record was held by, in the order they got it.
  #keep(rec: InteractionRecord): void {
    this.interactions.set(rec.id, rec);
    const agents = this.#agentsOf.get(rec.id) ?? [];
    if (rec.agentId && !agents.includes(rec.agentId)) this.#agentsOf.set(rec.id, [...agents, rec.agentId]);
  }

  async listAgentsOf(interactionIds: readonly string[]): Promise<Map<string, string[]>> {
    return new Map(interactionIds.map((id) => [id, [...(this.#agentsOf.get(id) ?? [])]]));
  }

  async listHistory(agentId: string, query: HistoryQuery): Promise<ClosedInteraction[]> {
    const [beforeAt, beforeId] = query.before ? [query.before.endedAt, query.before.id] : [Infinity, ''];
    return [...this.interactions.values()]
      .filter((rec) => this.#agentsOf.get(rec.id)?.includes(agentId) && rec.state === 'ended')
      .filter((rec) => rec.endedAt! < beforeAt || (rec.endedAt === beforeAt && rec.id < beforeId))
      .sort((a, b) => b.endedAt! - a.endedAt! || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, query.limit)
      .map((rec) => ({ interaction: clone(rec), wrapUp: this.closures?.wrapUps.get(rec.id) ?? null, rating: this.closures?.ratings.get(rec.id) ?? null }));
  }

  async listMilestonesSince(since: number): Promise<Milestones[]> {
    return [...this.interactions.values()].filter((rec) => rec.createdAt >= since || (rec.endedAt !== null && rec.endedAt >= since)).map(milestonesOf);
  }

  async countByState(): Promise<Record<InteractionState, number>> {
    const counts: Record<InteractionState, number> = { queued: 0, offered: 0, active: 0, ended: 0 };
    for (const rec of this.interactions.values()) counts[rec.state] += 1;
    return counts;
  }

  #track(write: () => Promise<void>): Promise<void> {
    const p = write();
    this.#inFlight.add(p);
    const forget = () => void this.#inFlight.delete(p);
    p.then(forget, forget);
    return p;
  }
}

export class MemoryDirectory implements Directory {
  readonly services = new Map<string, Service>();
  readonly agents = new Map<string, Agent>();

  constructor(services: Service[] = [], agents: Agent[] = []) {
    for (const s of services) this.services.set(s.id, clone(s));
    for (const a of agents) this.agents.set(a.id, clone(a));
  }

  async listServices(): Promise<Service[]> {
    return [...this.services.values()].sort((a, b) => a.id.localeCompare(b.id)).map(clone);
  }

  async getService(id: string): Promise<Service | undefined> {
    const s = this.services.get(id);
    return s ? clone(s) : undefined;
  }

  readonly auditLog: AuditEntry[] = [];

  async saveService(service: Service, audit?: NewAuditEntry): Promise<void> {
    this.services.set(service.id, clone(service));
    this.audit(audit);
  }

  async listAgents(): Promise<Agent[]> {
    return [...this.agents.values()].sort((a, b) => a.id.localeCompare(b.id)).map(clone);
  }

  async getAgent(id: string): Promise<Agent | undefined> {
    const a = this.agents.get(id);
    return a ? clone(a) : undefined;
  }

  async saveAgent(agent: Agent, audit?: NewAuditEntry): Promise<void> {
    this.agents.set(agent.id, clone(agent));
    this.audit(audit);
  }

  async listAudit(limit: number, beforeSeq = Number.MAX_SAFE_INTEGER): Promise<AuditEntry[]> {
    return this.auditLog.filter((e) => e.seq < beforeSeq).slice(-limit).reverse().map(clone);
  }

  private audit(entry: NewAuditEntry | undefined): void {
    if (entry) this.auditLog.push({ ...clone(entry), seq: this.auditLog.length + 1 });
  }
}

export class MemoryAttachmentStore implements AttachmentStore {
  readonly files = new Map<string, Uint8Array>();

  async save(id: string, bytes: Uint8Array): Promise<void> {
    await turn();
    this.files.set(id, new Uint8Array(bytes));
  }

  async read(id: string): Promise<Buffer> {
    const bytes = this.files.get(id);
    if (!bytes) throw Object.assign(new Error(`no attachment ${id}`), { code: 'ENOENT' });
    return Buffer.from(bytes);
  }
}

export class MemoryRecordingStore implements RecordingStore {
  readonly files = new Map<string, { file: RecordingFile; bytes: Buffer }>();

  async saveRecording(file: RecordingFile, bytes: Uint8Array): Promise<void> {
    await turn();
    this.files.set(file.id, { file: { ...file }, bytes: Buffer.from(bytes) });
  }
  async recordingInfo(id: string): Promise<RecordingFile | undefined> {
    const found = this.files.get(id);
    return found && { ...found.file };
  }
  async readRecording(id: string, range?: { start: number; end: number }): Promise<Buffer> {
    const found = this.files.get(id);
    if (!found) throw Object.assign(new Error(`no recording ${id}`), { code: 'ENOENT' });
    return range ? found.bytes.subarray(range.start, range.end + 1) : found.bytes;
  }
  async deleteRecordingsBefore(cutoff: number): Promise<string[]> {
    const old = [...this.files.values()].filter((f) => f.file.recordedAt < cutoff).map((f) => f.file.id);
    for (const id of old) this.files.delete(id);
    return old;
  }
}

// ---- closure -------------------------------------------------------------------------------------

// Wrap-ups and ratings, once per interaction like the real stores (closure-ports.ts).
export class MemoryClosureStore implements ClosureStore {
  readonly wrapUps = new Map<string, WrapUpRecord>();
  readonly ratings = new Map<string, RatingRecord>();
  readonly #interactions: MemoryInteractionStore;

  constructor(interactions: MemoryInteractionStore) {
    this.#interactions = interactions;
    interactions.closures = this;
  }

  async saveWrapUp(w: WrapUpRecord): Promise<void> {
    if (this.wrapUps.has(w.interactionId)) throw conflict('already_wrapped_up', 'already wrapped up');
    this.wrapUps.set(w.interactionId, { ...w });
  }

  async getWrapUp(id: string): Promise<WrapUpRecord | undefined> {
    return this.wrapUps.get(id);
  }

  async saveRating(r: RatingRecord): Promise<void> {
    if (this.ratings.has(r.interactionId)) throw conflict('already_rated', 'already rated');
    this.ratings.set(r.interactionId, { ...r });
  }

  async getRating(id: string): Promise<RatingRecord | undefined> {
    return this.ratings.get(id);
  }

  async listClosed(q: ClosedQuery): Promise<ClosedInteraction[]> {
    const [beforeAt, beforeId] = q.before ? [q.before.endedAt, q.before.id] : [q.to, ''];
    const ended = [...this.#interactions.interactions.values()].filter(
      (r) => r.endedAt !== null && r.endedAt >= q.from && r.endedAt < q.to && (r.endedAt < beforeAt || (r.endedAt === beforeAt && r.id < beforeId)),
    );
    return ended
      .sort((a, b) => b.endedAt! - a.endedAt! || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, q.limit)
      .map((interaction) => ({ interaction, wrapUp: this.wrapUps.get(interaction.id) ?? null, rating: this.ratings.get(interaction.id) ?? null }));
  }

  async ratingsSince(since: number): Promise<RatingRecord[]> {
    return [...this.ratings.values()].filter((r) => r.ratedAt >= since);
  }
}

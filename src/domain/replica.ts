import type { DomainEvents } from './events.ts';
import type { InteractionRecord } from './interaction.ts';
import type { Interactions } from './interactions.ts';
import type { InteractionStore } from './ports.ts';
import type { TimelineEntry } from './timeline.ts';

export interface ReplicaDeps {
  interactions: Interactions;
  store: InteractionStore;
  events: DomainEvents;
  // A hole in a timeline that outlives this wait is a write that failed for good (its seq was taken):
  // the replica moves past it rather than stall the chat.
  gapWaitMs?: number;
  // Whether this node follows now (ClusterNode: not once it runs the rules). A late call (a hole's
  // retry, a forwarded command's read-back) on a node that became the leader meanwhile changes nothing:
  // it would put the stored row over the rules' own record and emit again what they did.
  following?: () => boolean;
  onError(err: unknown, interactionId: string): void;
}

// How many ended interactions the replica remembers the last applied seq of (oldest forgotten first).
const ENDED_KEPT = 10_000;

// On a node that does not lead, the rules do not run: the leader commits, and this brings the local
// registry up to what is committed, emitting the events the leader's rules emitted, so pages and
// sockets on this node update as on one node. Entries are applied by seq from the store: each once, in
// order, with no gap, however many wake-ups arrive (one at a time per interaction).
export class InteractionReplica {
  readonly #d: ReplicaDeps;
  readonly #running = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  // seq of a hole seen once, by interaction: seen twice, it is skipped.
  readonly #holes = new Map<string, number>();
  // Last applied seq of interactions that ended lately, no longer in the registry: entries written
  // after the end (wrap-up's Done, the customer's rating) are applied from there, not all again.
  readonly #ended = new Map<string, number>();

  constructor(deps: ReplicaDeps) {
    this.#d = deps;
  }

  // Brings one interaction up to date; resolves once what was committed before the call is applied.
  follow(interactionId: string): Promise<void> {
    if (this.#d.following?.() === false) return Promise.resolve();
    const running = this.#running.get(interactionId);
    if (running) {
      // The run in progress goes round once more, and so covers what was committed before this call.
      this.#again.add(interactionId);
      return running;
    }
    const run = (async () => {
      do {
        this.#again.delete(interactionId);
        if (this.#d.following?.() === false) break;
        try {
          await this.#catchUp(interactionId);
        } catch (err) {
          this.#d.onError(err, interactionId);
        }
      } while (this.#again.has(interactionId));
      // In the same step as the last check: a call after it starts a run of its own.
      this.#running.delete(interactionId);
    })();
    this.#running.set(interactionId, run);
    return run;
  }

  // After a missed stretch of wake-ups (a reconnect, or before leading): every interaction open in the
  // store or here is brought up to date.
  async resync(): Promise<void> {
    const ids = new Set([...(await this.#d.store.loadOpenInteractions()).map((r) => r.id), ...this.#d.interactions.all().map((r) => r.id)]);
    await Promise.all([...ids].map((id) => this.follow(id)));
    this.#d.events.emit({ type: 'replica_resynced' });
  }

  async #catchUp(interactionId: string): Promise<void> {
    const known = this.#d.interactions.get(interactionId);
    const applied = known?.lastSeq ?? this.#ended.get(interactionId) ?? 0;
    const entries = await this.#d.store.listEntries(interactionId, { afterSeq: applied });
    // Read after the entries: the row is at least as new as they are.
    const stored = await this.#d.store.getInteraction(interactionId);
    if (!stored) return;
    const rec = known ?? { ...stored, lastSeq: applied };
    const previousOfferedTo = rec.offeredTo;
    const changed = !known || rowChanged(known, stored);
    if (known && changed) Object.assign(known, { ...stored, lastSeq: known.lastSeq });
    if (!known && stored.state !== 'ended') this.#d.interactions.add(rec);
    for (const entry of this.#contiguous(rec, entries)) {
      rec.lastSeq = entry.seq;
      this.#d.events.emit({ type: 'entry_appended', interaction: rec, entry });
    }
    if (changed) this.#d.events.emit({ type: 'interaction_changed', interaction: rec, previousOfferedTo });
    if (rec.state === 'ended') {
      this.#d.interactions.remove(rec);
      this.#rememberEnded(rec);
    }
  }

  #rememberEnded(rec: InteractionRecord): void {
    this.#ended.delete(rec.id); // set again below: the newest goes last, and is forgotten last
    this.#ended.set(rec.id, rec.lastSeq);
    if (this.#ended.size > ENDED_KEPT) this.#ended.delete(this.#ended.keys().next().value!);
  }

  // The entries that follow lastSeq without a hole. A hole may be a batch not committed yet (the next
  // wake-up brings it), so the first time it is waited for; the second time it is passed.
  #contiguous(rec: InteractionRecord, entries: TimelineEntry[]): TimelineEntry[] {
    const out: TimelineEntry[] = [];
    let next = rec.lastSeq + 1;
    for (const entry of entries) {
      if (entry.seq < next) continue;
      if (entry.seq > next) {
        if (this.#holes.get(rec.id) !== next) {
          this.#holes.set(rec.id, next);
          const retry = setTimeout(() => void this.follow(rec.id), this.#d.gapWaitMs ?? 1000);
          retry.unref();
          break;
        }
        this.#holes.delete(rec.id);
      }
      out.push(entry);
      next = entry.seq + 1;
    }
    return out;
  }
}

// lastSeq is the replica's own watermark (the row's may lag behind messages), so it is not compared.
function rowChanged(a: InteractionRecord, b: InteractionRecord): boolean {
  return JSON.stringify({ ...a, lastSeq: 0 }) !== JSON.stringify({ ...b, lastSeq: 0 });
}

import { randomUUID } from 'node:crypto';
import { DomainError } from './errors.ts';
import type { DomainEvents } from './events.ts';
import type { InteractionRecord } from './interaction.ts';
import type { Clock, InteractionStore } from './ports.ts';
import type { EntryDraft, TimelineEntry } from './timeline.ts';

export interface TimelineWriterDeps {
  store: InteractionStore;
  events: DomainEvents;
  clock: Clock;
}

// Appends entries to an interaction's timeline: the next seq, one durable write with the interaction
// when it changed, then the event listeners hear it. A failed write gives its seq back, so the
// timeline stays gap-free. Not async: this is the hottest path there is, and every promise layer
// shows under load (bench:chat).
export class TimelineWriter {
  readonly #d: TimelineWriterDeps;
  // Customer sends still being written, by chat and client id: a retry gets the first write.
  readonly #pendingClientIds = new WeakMap<InteractionRecord, Map<string, Promise<TimelineEntry>>>();

  constructor(deps: TimelineWriterDeps) {
    this.#d = deps;
  }

  append(rec: InteractionRecord, draft: EntryDraft): Promise<TimelineEntry> {
    rec.lastSeq += 1;
    const entry: TimelineEntry = {
      id: randomUUID(),
      interactionId: rec.id,
      seq: rec.lastSeq,
      kind: draft.kind,
      author: draft.author,
      agentId: draft.agentId ?? null,
      text: draft.text ?? null,
      clientId: draft.clientId ?? null,
      attachment: draft.attachment ?? null,
      data: draft.data ?? null,
      createdAt: this.#d.clock.now(),
    };
    // A message changes nothing on the interaction but its last seq, which the store can derive.
    const changesInteraction = draft.kind !== 'message' && draft.kind !== 'attachment';
    let written: Promise<void>;
    try {
      written = this.#d.store.appendEntry(entry, changesInteraction ? rec : undefined);
    } catch (err) {
      written = Promise.reject(err);
    }
    return written.then(
      () => {
        this.#d.events.emit({ type: 'entry_appended', interaction: rec, entry });
        return entry;
      },
      (err: unknown) => {
        // Give the seq back when nothing was appended after it, so the timeline stays gap-free.
        if (rec.lastSeq === entry.seq) rec.lastSeq -= 1;
        throw err;
      },
    );
  }

  // A retried send (same client id) gets the first entry back, even while the first is being
  // written. `stillOpen` checks the chat again once the stored ids have been looked up.
  appendOnce(rec: InteractionRecord, draft: EntryDraft & { clientId: string }, stillOpen: (interactionId: string) => InteractionRecord): Promise<TimelineEntry> {
    let pending = this.#pendingClientIds.get(rec);
    if (!pending) this.#pendingClientIds.set(rec, (pending = new Map()));
    const inFlight = pending.get(draft.clientId);
    if (inFlight) return inFlight;
    const write = this.#d.store
      .findEntryByClientId(rec.id, draft.clientId)
      .then((existing) => existing ?? this.append(stillOpen(rec.id), draft).catch((err: unknown) => this.#storedOr(rec.id, draft.clientId, err)));
    pending.set(draft.clientId, write);
    const forget = () => pending.delete(draft.clientId);
    write.then(forget, forget);
    return write;
  }

  // The store refuses a client id it already holds (client_id_taken): when another writer of the same
  // store got there first, the message it stored is the answer. Any other failure stays one.
  #storedOr(interactionId: string, clientId: string, err: unknown): Promise<TimelineEntry> {
    if (!(err instanceof DomainError && err.code === 'client_id_taken')) return Promise.reject(err);
    return this.#d.store.findEntryByClientId(interactionId, clientId).then((stored) => stored ?? Promise.reject(err));
  }
}

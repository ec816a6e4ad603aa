import { randomUUID } from 'node:crypto';
import { conflict, DomainError, unavailable } from './errors.ts';
import type { DomainEvents } from './events.ts';
import type { InteractionRecord } from './interaction.ts';
import type { Clock, InteractionStore } from './ports.ts';
import type { EntryDraft, TimelineEntry } from './timeline.ts';

export interface TimelineWriterDeps {
  store: InteractionStore;
  events: DomainEvents;
  clock: Clock;
}

// A store's failure that may have been stored all the same (ports.ts InteractionStore.appendEntry).
export const maybeCommitted = (err: unknown) => (err as { maybeCommitted?: unknown } | null)?.maybeCommitted === true;

// Appends entries to an interaction's timeline: the next seq, one durable write with the interaction
// when it changed, then the event listeners hear it. A failed write gives its seq back, so the
// timeline stays gap-free (unless it may be stored). Not async: this is the hottest path there is,
// and every promise layer shows under load (bench:chat).
export class TimelineWriter {
  readonly #d: TimelineWriterDeps;
  // Customer sends still being written, by chat and client id: a retry gets the first write.
  readonly #pendingClientIds = new WeakMap<InteractionRecord, Map<string, Promise<TimelineEntry>>>();
  // Entries (with a client id) whose write failed as "may be stored", by id: found stored by a retry,
  // they are told to the listeners then (the customer's feed, the SMS desk that sends an agent's reply).
  readonly #unannounced = new Map<string, InteractionRecord>();

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
        if (err instanceof DomainError && err.code === 'seq_taken') return this.#catchUp(rec, entry, err);
        // Give the seq back when nothing was appended after it, so the timeline stays gap-free; not
        // one that may be stored (a later entry would take it again, and be refused, forever).
        if (rec.lastSeq === entry.seq && !maybeCommitted(err)) rec.lastSeq -= 1;
        else if (maybeCommitted(err) && entry.clientId !== null) this.#maybeStored(entry, rec);
        throw err;
      },
    );
  }

  // The store holds this seq already (a write reported failed was stored after all, or another writer
  // got there first): the chat's next entry goes after the last one stored. This entry is refused as
  // worth sending again at once (503 with Retry-After): nothing is wrong with it, and a 409 would be
  // taken as final (an SMS gateway would not retry; the customer's page would drop it).
  #catchUp(rec: InteractionRecord, entry: TimelineEntry, err: DomainError): Promise<never> {
    return this.#d.store.listEntries(rec.id, { afterSeq: entry.seq - 1 }).then((stored) => {
      rec.lastSeq = Math.max(rec.lastSeq, stored.at(-1)?.seq ?? entry.seq);
      throw unavailable('seq_taken', err.message, 1);
    });
  }

  // A retried send (same client id) gets the first entry back, even while the first is being
  // written. `stillOpen` checks the chat again once the stored ids have been looked up (after
  // `beforeAppend`, which stores what the entry points to: a photo's bytes, saved once per client id).
  appendOnce(
    rec: InteractionRecord,
    draft: EntryDraft & { clientId: string },
    stillOpen: (interactionId: string) => InteractionRecord,
    beforeAppend: () => Promise<unknown> = () => Promise.resolve(),
  ): Promise<TimelineEntry> {
    let pending = this.#pendingClientIds.get(rec);
    if (!pending) this.#pendingClientIds.set(rec, (pending = new Map()));
    const inFlight = pending.get(draft.clientId);
    if (inFlight) return inFlight;
    const write = this.#d.store
      .findEntryByClientId(rec.id, draft.clientId)
      .then((existing) =>
        existing ? this.#found(draft, existing) : beforeAppend().then(() => this.append(stillOpen(rec.id), draft).catch((err: unknown) => this.#storedOr(draft, rec.id, err))),
      );
    pending.set(draft.clientId, write);
    const forget = () => pending.delete(draft.clientId);
    write.then(forget, forget);
    return write;
  }

  // The store refuses a client id it already holds (client_id_taken): when another writer of the same
  // store got there first, the message it stored is the answer. Any other failure stays one.
  #storedOr(draft: EntryDraft & { clientId: string }, interactionId: string, err: unknown): Promise<TimelineEntry> {
    if (!(err instanceof DomainError && err.code === 'client_id_taken')) return Promise.reject(err);
    return this.#d.store.findEntryByClientId(interactionId, draft.clientId).then((stored) => (stored ? this.#found(draft, stored) : Promise.reject(err)));
  }

  // A retry's answer: the entry stored before. One whose write seemed to fail is told to the listeners
  // now, once.
  #found(draft: EntryDraft, stored: TimelineEntry): TimelineEntry {
    const entry = sentBy(draft, stored);
    const rec = this.#unannounced.get(entry.id);
    if (rec && this.#unannounced.delete(entry.id)) this.#d.events.emit({ type: 'entry_appended', interaction: rec, entry });
    return entry;
  }

  // Kept for a retry to find; bounded, the oldest forgotten (a retry comes within minutes, or never).
  #maybeStored(entry: TimelineEntry, rec: InteractionRecord): void {
    this.#unannounced.set(entry.id, rec);
    if (this.#unannounced.size > 1000) this.#unannounced.delete(this.#unannounced.keys().next().value!);
  }
}

// A client id answers with its entry only to whoever sent that entry, and only for the same kind: the
// customer and the agents of a chat choose their ids apart (and the customer sees the agents'), so one
// side's id never stands for the other's message, nor a text for a photo.
export function sentBy(draft: EntryDraft, stored: TimelineEntry): TimelineEntry {
  if (stored.kind === draft.kind && stored.author === draft.author && stored.agentId === (draft.agentId ?? null)) return stored;
  throw conflict('client_id_taken', `client_id ${stored.clientId} already names another message of this chat.`);
}

import { notFound } from './errors.ts';
import type { InteractionRecord } from './interaction.ts';
import type { Interactions } from './interactions.ts';
import type { EntryDraft, TimelineEntry } from './timeline.ts';
import { KeyedQueue } from './util/keyed-queue.ts';

// Entries written once an interaction has ended (its wrap-up, its rating), or that may come either
// side of its end (the telephony's late reports: a recording stored, a supervisor taken off the call).
// The ended record is no longer held open, so each write reads it afresh and they run one at a time per
// interaction: every entry takes its own seq, and a check made in `decide` (already rated? does the
// report still apply?) holds until the entry is written. One per Interactions (Interactions.closing):
// two of them would read the same seq.
export class ClosingTimeline {
  readonly #interactions: Interactions;
  // Every task here is awaited by its caller (run), which gets its failure.
  readonly #queue = new KeyedQueue(() => undefined);

  constructor(interactions: Interactions) {
    this.#interactions = interactions;
  }

  record(interactionId: string, decide: (rec: InteractionRecord) => Promise<EntryDraft>): Promise<TimelineEntry> {
    return this.#queue.run(interactionId, async () => {
      const rec = await this.#interactions.find(interactionId);
      if (!rec) throw notFound('interaction_not_found', 'No such interaction.');
      return this.#interactions.append(rec, await decide(rec));
    });
  }

  // A report that may no longer apply to the record as read now: `decide` applies it to that record
  // and says what to write, or null (nothing written, as for an interaction not found).
  report(interactionId: string, decide: (rec: InteractionRecord) => EntryDraft | null): Promise<TimelineEntry | null> {
    return this.#queue.run(interactionId, async () => {
      const rec = await this.#interactions.find(interactionId);
      const draft = rec ? decide(rec) : null;
      return rec && draft ? this.#interactions.append(rec, draft) : null;
    });
  }
}

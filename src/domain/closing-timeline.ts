import { notFound } from './errors.ts';
import type { InteractionRecord } from './interaction.ts';
import type { Interactions } from './interactions.ts';
import type { EntryDraft, TimelineEntry } from './timeline.ts';
import { KeyedQueue } from './util/keyed-queue.ts';

// Entries written once an interaction has ended (its wrap-up, its rating). The ended record is no
// longer held open, so each write reads it afresh and they run one at a time per interaction: its
// seq stays gap-free and a check made in `decide` (already rated?) holds until the entry is written.
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
}

import type { InteractionRecord } from './interaction.ts';

// What is kept of an interaction's closure: the agent's wrap-up (disposition, notes) and the
// customer's rating, each at most once per interaction (the store refuses a second one).
export interface WrapUpRecord {
  interactionId: string;
  agentId: string;
  disposition: string | null;
  notes: string;
  doneAt: number;
}

export interface RatingRecord {
  interactionId: string;
  serviceId: string;
  score: number;
  comment: string | null;
  ratedAt: number;
}

// One row of the admins' interactions list and export, and of an agent's History.
export interface ClosedInteraction {
  interaction: InteractionRecord;
  wrapUp: WrapUpRecord | null;
  rating: RatingRecord | null;
  // Every agent who worked it, in order (Interactions.workedByEach); absent: not looked up.
  workedBy?: string[];
}

// Ended in [from, to); `before` is the last row of the page before (ended at, id), for the next page.
export interface ClosedQuery {
  from: number;
  to: number;
  limit: number;
  before?: { endedAt: number; id: string };
}

// Every page of what ended in [from, to), `rows` at a time, newest first, from a listClosed.
export async function* closedPages(list: (q: ClosedQuery) => Promise<ClosedInteraction[]>, from: number, to: number, rows: number): AsyncGenerator<ClosedInteraction[]> {
  for (let before: ClosedQuery['before']; ; ) {
    const page = await list({ from, to, limit: rows, before });
    yield page;
    const last = page.at(-1)?.interaction;
    if (page.length < rows || !last) return;
    before = { endedAt: last.endedAt!, id: last.id };
  }
}

export interface ClosureStore {
  // A second wrap-up of the same interaction is refused: conflict already_wrapped_up.
  saveWrapUp(wrapUp: WrapUpRecord): Promise<void>;
  getWrapUp(interactionId: string): Promise<WrapUpRecord | undefined>;
  // A second rating of the same interaction is refused: conflict already_rated.
  saveRating(rating: RatingRecord): Promise<void>;
  getRating(interactionId: string): Promise<RatingRecord | undefined>;
  // Interactions that ended in [from, to), newest first, at most `limit`.
  // Newest first, at most `limit`; `before`: only those after it in that order (the next page).
  listClosed(query: ClosedQuery): Promise<ClosedInteraction[]>;
  // Ratings given at or after `since` (the wallboard's average today).
  ratingsSince(since: number): Promise<RatingRecord[]>;
}

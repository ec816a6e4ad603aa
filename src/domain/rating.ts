import type { ClosingTimeline } from './closing-timeline.ts';
import type { ClosureStore, RatingRecord } from './closure-ports.ts';
import { checkNoNul } from './chat-rules.ts';
import { conflict, invalid, notFound } from './errors.ts';
import type { Interactions } from './interactions.ts';
import type { Clock } from './ports.ts';

// The customer's rating of an ended chat: a score from 1 to 5 and an optional comment, once per chat.
export const SCORE_MIN = 1;
export const SCORE_MAX = 5;
export const COMMENT_MAX = 1000;

export const alreadyRated = () => conflict('already_rated', 'This chat has already been rated.');
const notEnded = () => conflict('chat_not_ended', 'A chat is rated once it has ended.');

export function checkRating(score: unknown, comment: unknown): { score: number; comment: string | null } {
  if (typeof score !== 'number' || !Number.isInteger(score) || score < SCORE_MIN || score > SCORE_MAX) {
    throw invalid('invalid_score', `score must be a whole number from ${SCORE_MIN} to ${SCORE_MAX}.`);
  }
  if (comment !== undefined && comment !== null && typeof comment !== 'string') throw invalid('invalid_comment', 'comment must be text.');
  const text = typeof comment === 'string' ? comment.trim() : '';
  if (text.length > COMMENT_MAX) throw invalid('comment_too_long', `comment is limited to ${COMMENT_MAX} characters.`);
  checkNoNul('comment', text);
  return { score, comment: text === '' ? null : text };
}

// The score an SMS reply gives ("4", " 5 ", "3 stars", "5/5", "4!"), or null when it is not a rating.
// Only a score alone: "2 more things: the tow truck never came" is a message, not a 2 (its text would
// be lost in a rating).
const SCORE_REPLY = /^\s*([1-5])\s*(?:stars?|\/\s*5|out of 5)?\s*[.!]*\s*$/i;
export function scoreOfReply(text: string): number | null {
  const m = SCORE_REPLY.exec(text);
  return m ? Number(m[1]) : null;
}

// A day's average per service, from the ratings given since its start.
export function averages(ratings: readonly RatingRecord[]): Map<string, { average: number; count: number }> {
  const sums = new Map<string, { total: number; count: number }>();
  for (const r of ratings) {
    const s = sums.get(r.serviceId) ?? { total: 0, count: 0 };
    sums.set(r.serviceId, { total: s.total + r.score, count: s.count + 1 });
  }
  return new Map([...sums].map(([id, s]) => [id, { average: s.total / s.count, count: s.count }]));
}

export class Ratings {
  readonly #d: { interactions: Interactions; closing: ClosingTimeline; closures: ClosureStore; clock: Clock };

  constructor(deps: { interactions: Interactions; closing: ClosingTimeline; closures: ClosureStore; clock: Clock }) {
    this.#d = deps;
  }

  // Whoever calls this has checked the chat's token (ContactCenter.authorizeCustomer) or its number (SMS).
  async rate(interactionId: string, score: unknown, comment?: unknown): Promise<RatingRecord> {
    const rec = await this.#d.interactions.find(interactionId);
    if (!rec) throw notFound('chat_not_found', 'No chat with this id.');
    if (rec.state !== 'ended') throw notEnded();
    const checked = checkRating(score, comment);
    const rating: RatingRecord = { interactionId, serviceId: rec.serviceId, ...checked, ratedAt: this.#d.clock.now() };
    await this.#d.closing.record(interactionId, async () => {
      if (await this.#d.closures.getRating(interactionId)) throw alreadyRated();
      await this.#d.closures.saveRating(rating);
      return { kind: 'rating', author: 'customer', text: rating.comment, data: { score: rating.score } };
    });
    return rating;
  }

  rating(interactionId: string): Promise<RatingRecord | undefined> {
    return this.#d.closures.getRating(interactionId);
  }

  async averagesSince(since: number): Promise<Map<string, { average: number; count: number }>> {
    return averages(await this.#d.closures.ratingsSince(since));
  }
}

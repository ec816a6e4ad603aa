import { DomainError } from './errors.ts';
import { scoreOfReply } from './rating.ts';

// SMS chats are rated by text: when one ends, the customer is asked for a 1-5 reply, and a reply
// that is a score, while the question stands, is that chat's rating (rating.ts) instead of a new chat.
export const RATING_PROMPT = 'Thank you for contacting us. How did we do? Reply with a number from 1 (poor) to 5 (excellent).';
export const RATING_REPLY_WINDOW_MS = 24 * 3_600_000;
// Anyone can text us: the questions kept at once are capped (the oldest goes first).
const MAX_WAITING = 10_000;

// Stores a rating (Closure.rate), and reads one back.
export interface SmsRatings {
  rate(interactionId: string, score: number): Promise<unknown>;
  ratingOf(interactionId: string): Promise<{ score: number } | undefined>;
}

export class RatingQuestions {
  readonly #waiting = new Map<string, { interactionId: string; until: number }>();

  asked(conversation: string, interactionId: string, now: number): void {
    this.#waiting.delete(conversation);
    this.#waiting.set(conversation, { interactionId, until: now + RATING_REPLY_WINDOW_MS });
    if (this.#waiting.size > MAX_WAITING) this.#waiting.delete(this.#waiting.keys().next().value!);
  }

  // The chat this conversation's next text may rate, while the question stands.
  awaiting(conversation: string, now: number): string | null {
    const waiting = this.#waiting.get(conversation);
    if (!waiting || waiting.until >= now) return waiting?.interactionId ?? null;
    this.#waiting.delete(conversation);
    return null;
  }

  // A score answering the question asked when the sender's last chat ended rates that chat (its id is
  // returned); any other text is a message (null). Rated already with this very score: this text again
  // (the gateway's retry after a failure that came after the rating was stored) or the same answer on
  // the web. Another score is a message.
  async rateBy(conversation: string, text: string, now: number, ratings: SmsRatings | undefined): Promise<string | null> {
    const asked = this.awaiting(conversation, now);
    const score = scoreOfReply(text);
    if (!asked || score === null || !ratings) return null;
    const rated = await ratings.rate(asked, score).then(
      () => true,
      async (err: unknown) => (err instanceof DomainError && err.kind === 'conflict' ? (await ratings.ratingOf(asked))?.score === score : Promise.reject(err)),
    );
    return rated ? asked : null;
  }

  // A text got through (its rating, or a message: a new chat): the question is not asked again. Only
  // then: a text refused or failed (the gateway sends it again) leaves the question standing.
  answered(conversation: string): void {
    this.#waiting.delete(conversation);
  }
}

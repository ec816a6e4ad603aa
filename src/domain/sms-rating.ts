// SMS chats are rated by text: when one ends, the customer is asked for a 1-5 reply, and a reply
// that is a score, while the question stands, is that chat's rating (rating.ts) instead of a new chat.
export const RATING_PROMPT = 'Thank you for contacting us. How did we do? Reply with a number from 1 (poor) to 5 (excellent).';
export const RATING_REPLY_WINDOW_MS = 24 * 3_600_000;
// Anyone can text us: the questions kept at once are capped (the oldest goes first).
const MAX_WAITING = 10_000;

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

  // A text got through (its rating, or a message: a new chat): the question is not asked again. Only
  // then: a text refused or failed (the gateway sends it again) leaves the question standing.
  answered(conversation: string): void {
    this.#waiting.delete(conversation);
  }
}

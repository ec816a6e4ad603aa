import { createHash, randomBytes } from 'node:crypto';
import { conflict, DomainError, invalid } from './errors.ts';
import type { InteractionRecord, StartKey } from './interaction.ts';
import { KeyedQueue } from './util/keyed-queue.ts';

// Start chat sent again with the same key (its answer was lost on a mobile network, or Start was
// pressed again after a time-out) answers with the chat the first one started, instead of opening a
// second chat that an agent accepts and nobody reads. The key is the client's secret, like the
// token. The chat's token is derived from the key and a random salt stored with the chat, so the same
// answer can be given again although only the token's hash is stored, and the key alone (in a log,
// say) gives no token: a replay also needs the chat's service, name and phone.

// A random value of at least 128 bits, such as a UUID v4 or 22 base64url characters.
export const START_KEY = /^[A-Za-z0-9_-]{22,128}$/;

const sha256 = (text: string) => createHash('sha256').update(text);
export const startKeyHash = (key: string) => sha256(`start-key:${key}`).digest('hex');
const tokenOf = (key: string, tokenSalt: string) => sha256(`chat-token:${tokenSalt}:${key}`).digest('base64url');

export interface ChatToStart {
  serviceId: string;
  customer: { name: string; phone: string };
  startKey?: string | undefined;
}

// How a new chat is made once its token is known (ContactCenter); `startKey` is stored with it.
export type StartNew = (token: string, startKey: StartKey | null) => Promise<InteractionRecord>;

export interface ChatStarted {
  interaction: InteractionRecord;
  token: string;
  // The key's chat was started before: this start made nothing.
  replayed: boolean;
}

export class ChatStarts {
  // Starts with one key run one after another, so the second finds the first's chat.
  readonly #byKey = new KeyedQueue(() => undefined);
  readonly #find: (startKeyHash: string) => Promise<InteractionRecord | undefined>;

  // `find`: the chat started with a key's hash, open in the rules (Interactions.findByStartKey).
  constructor(find: (startKeyHash: string) => Promise<InteractionRecord | undefined>) {
    this.#find = find;
  }

  async start(chat: ChatToStart, startNew: StartNew): Promise<ChatStarted> {
    const key = chat.startKey;
    if (key === undefined) {
      const token = randomBytes(32).toString('base64url');
      return { interaction: await startNew(token, null), token, replayed: false };
    }
    if (!START_KEY.test(key)) throw invalid('invalid_idempotency_key', 'Idempotency-Key must be 22 to 128 letters, digits, "-" or "_", such as a random UUID.');
    const hash = startKeyHash(key);
    return this.#byKey.run(hash, async () => {
      const started = await this.#find(hash);
      if (started) return { ...answer(started, chat, key), replayed: true };
      const startKey = { hash, tokenSalt: randomBytes(16).toString('base64url') };
      const token = tokenOf(key, startKey.tokenSalt);
      try {
        return { interaction: await startNew(token, startKey), token, replayed: false };
      } catch (err) {
        // The database's failure may have stored it all the same (the connection broke during COMMIT):
        // it is this start's chat. Or another leader's start with this key won the unique index.
        const stored = err instanceof DomainError ? undefined : await this.#find(hash);
        if (!stored) throw err;
        return { ...answer(stored, chat, key), replayed: stored.startKey?.tokenSalt !== startKey.tokenSalt };
      }
    });
  }
}

// A key sent with another chat's details is a client's mistake: answering with the first chat would
// hand its token to whoever reused the key.
function answer(started: InteractionRecord, chat: ChatToStart, key: string): Omit<ChatStarted, 'replayed'> {
  const same = started.serviceId === chat.serviceId && started.customer.name === chat.customer.name && started.customer.phone === chat.customer.phone;
  if (!same || !started.startKey) throw conflict('idempotency_key_reused', 'This Idempotency-Key started another chat: send a new key to start a new chat.');
  return { interaction: started, token: tokenOf(key, started.startKey.tokenSalt) };
}

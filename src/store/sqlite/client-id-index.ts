// The client message ids of open chats, in memory, so a send can be checked for a retry without an
// index on disk (see migration 005). Each id is kept as a 30-bit hash, a small integer, with the seq
// of the first stored message that had that hash: a few bytes a message whatever the id's length.
// No hash means a new id. A hash that is there names a candidate, which the store checks against the
// stored message (two ids can share a hash).
export class ClientIdIndex {
  readonly #byChat = new Map<string, Map<number, number>>();
  readonly #load: (interactionId: string) => Array<{ seq: number; clientId: string }>;

  // `load` reads a chat's stored client ids, the first time the chat is asked about.
  constructor(load: (interactionId: string) => Array<{ seq: number; clientId: string }>) {
    this.#load = load;
  }

  candidate(interactionId: string, clientId: string): number | undefined {
    return this.#chat(interactionId).get(hash30(clientId));
  }

  // After the message is committed (a failed write gives its seq back).
  remember(interactionId: string, clientId: string, seq: number): void {
    const chat = this.#byChat.get(interactionId);
    const hash = hash30(clientId);
    if (chat && !chat.has(hash)) chat.set(hash, seq);
  }

  forget(interactionId: string): void {
    this.#byChat.delete(interactionId);
  }

  #chat(interactionId: string): Map<number, number> {
    let chat = this.#byChat.get(interactionId);
    if (!chat) {
      chat = new Map();
      for (const { seq, clientId } of this.#load(interactionId)) if (!chat.has(hash30(clientId))) chat.set(hash30(clientId), seq);
      this.#byChat.set(interactionId, chat);
    }
    return chat;
  }
}

// FNV-1a over the UTF-16 code units, cut to 30 bits so V8 keeps it as a small integer.
export function hash30(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash & 0x3fffffff;
}

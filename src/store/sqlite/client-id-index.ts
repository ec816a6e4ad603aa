// The client message ids of open chats, in memory, so a send can be checked for a retry without an
// index on disk (see migration 005). Each id is kept as a 30-bit hash with the seq of the first stored
// message that had that hash: 8 to 16 bytes a message, whatever the id's length, in typed arrays the
// garbage collector never has to walk. No hash means a new id. A hash that is there names a candidate,
// which the store checks against the stored message (two ids can share a hash).
export class ClientIdIndex {
  readonly #byChat = new Map<string, HashToSeq>();
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
    this.#byChat.get(interactionId)?.addIfAbsent(hash30(clientId), seq);
  }

  forget(interactionId: string): void {
    this.#byChat.delete(interactionId);
  }

  #chat(interactionId: string): HashToSeq {
    let chat = this.#byChat.get(interactionId);
    if (!chat) {
      chat = new HashToSeq();
      for (const { seq, clientId } of this.#load(interactionId)) chat.addIfAbsent(hash30(clientId), seq);
      this.#byChat.set(interactionId, chat);
    }
    return chat;
  }
}

// Open addressing with linear probing over two Int32Arrays; a slot's key is hash + 1, so 0 is empty.
// At most half full: probes stay short.
class HashToSeq {
  #keys = new Int32Array(16);
  #seqs = new Int32Array(16);
  #size = 0;

  get(hash: number): number | undefined {
    const slot = this.#slotOf(hash);
    return this.#keys[slot] === 0 ? undefined : this.#seqs[slot];
  }

  addIfAbsent(hash: number, seq: number): void {
    const slot = this.#slotOf(hash);
    if (this.#keys[slot] !== 0) return;
    this.#keys[slot] = hash + 1;
    this.#seqs[slot] = seq;
    if (++this.#size * 2 > this.#keys.length) this.#grow();
  }

  #slotOf(hash: number): number {
    const mask = this.#keys.length - 1;
    let slot = hash & mask;
    while (this.#keys[slot] !== 0 && this.#keys[slot] !== hash + 1) slot = (slot + 1) & mask;
    return slot;
  }

  #grow(): void {
    const keys = this.#keys;
    const seqs = this.#seqs;
    this.#keys = new Int32Array(keys.length * 2);
    this.#seqs = new Int32Array(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === 0) continue;
      const slot = this.#slotOf(keys[i]! - 1);
      this.#keys[slot] = keys[i]!;
      this.#seqs[slot] = seqs[i]!;
    }
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

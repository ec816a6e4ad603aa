import type { WebSocket } from 'ws';
import { rateLimited, unavailable, type DomainError } from '../../domain/errors.ts';
import { SocketHeartbeat } from '../socket-heartbeat.ts';

// Every customer events socket holds a file descriptor, a hub listener and a timeline feed, and anyone
// with a chat's token may open one: a chat gets a few (an app and a page, a reconnect overlapping the old
// socket), a node a bounded number in all. A socket whose peer vanished without closing (a dropped
// mobile network) answers no ping and is cut at the next one, so its place comes back.
export interface CustomerSocketCaps {
  perChat: number;
  total: number;
  pingMs: number;
}

export class CustomerSockets {
  readonly #caps: CustomerSocketCaps;
  readonly #byChat = new Map<string, number>();
  #held = 0;
  readonly #heartbeat: SocketHeartbeat;

  constructor(caps: CustomerSocketCaps) {
    this.#caps = caps;
    this.#heartbeat = new SocketHeartbeat(caps.pingMs);
  }

  // A place for one more socket of this chat, or why there is none. release() is idempotent.
  claim(chatId: string): { release(): void } | DomainError {
    const mine = this.#byChat.get(chatId) ?? 0;
    if (mine >= this.#caps.perChat) return rateLimited(`This chat already has ${this.#caps.perChat} event sockets open.`, 10);
    if (this.#held >= this.#caps.total) return unavailable('customer_sockets_full', 'No event socket is free for customers now. Try again in a minute.', 30);
    this.#byChat.set(chatId, mine + 1);
    this.#held += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#held -= 1;
        const left = (this.#byChat.get(chatId) ?? 1) - 1;
        if (left > 0) this.#byChat.set(chatId, left);
        else this.#byChat.delete(chatId);
      },
    };
  }

  // How many of this chat's sockets are open on this node.
  openFor(chatId: string): number {
    return this.#byChat.get(chatId) ?? 0;
  }

  // Pinged from now on, until it closes.
  watch(ws: WebSocket): void {
    this.#heartbeat.watch(ws);
  }

  close(): void {
    this.#heartbeat.close();
  }
}

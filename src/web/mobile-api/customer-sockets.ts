import type { WebSocket } from 'ws';
import { rateLimited, unavailable, type DomainError } from '../../domain/errors.ts';
import { SocketHeartbeat } from '../socket-heartbeat.ts';
import { count } from '../open-counts.ts';

// Every customer events socket holds a file descriptor, a hub listener and a timeline feed, and anyone
// with a chat's token may open one: a chat gets a few (an app and a page, a reconnect overlapping the old
// socket), a node a bounded number in all. A socket whose peer vanished without closing (a dropped
// mobile network) answers no ping and is cut at the next one, so its place comes back.
// Chats end, and their tokens stop opening anything ENDED_CHAT_ACCESS_H later; so do their sockets
// (events-ws.ts), and one address holds only so many at a time, however many chats it starts.
export interface CustomerSocketCaps {
  perChat: number;
  // Per client address (an IPv4 address, an IPv6 /64: client-address.ts addressKey).
  perAddress: number;
  total: number;
  pingMs: number;
}

export class CustomerSockets {
  readonly #caps: CustomerSocketCaps;
  readonly #byChat = new Map<string, number>();
  readonly #byAddress = new Map<string, number>();
  #held = 0;
  readonly #heartbeat: SocketHeartbeat;

  constructor(caps: CustomerSocketCaps) {
    this.#caps = caps;
    this.#heartbeat = new SocketHeartbeat(caps.pingMs);
  }

  // A place for one more socket of this chat, from this address, or why there is none. release() is
  // idempotent.
  claim(chatId: string, address: string): { release(): void } | DomainError {
    if ((this.#byChat.get(chatId) ?? 0) >= this.#caps.perChat) return rateLimited(`This chat already has ${this.#caps.perChat} event sockets open.`, 10);
    if ((this.#byAddress.get(address) ?? 0) >= this.#caps.perAddress) return rateLimited(`Your network already has ${this.#caps.perAddress} event sockets open.`, 30);
    if (this.#held >= this.#caps.total) return unavailable('customer_sockets_full', 'No event socket is free for customers now. Try again in a minute.', 30);
    count(this.#byChat, chatId, +1);
    count(this.#byAddress, address, +1);
    this.#held += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#held -= 1;
        count(this.#byChat, chatId, -1);
        count(this.#byAddress, address, -1);
      },
    };
  }

  // Pinged from now on, until it closes.
  watch(ws: WebSocket): void {
    this.#heartbeat.watch(ws);
  }

  close(): void {
    this.#heartbeat.close();
  }
}

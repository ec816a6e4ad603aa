import type { WebSocket } from 'ws';

// Sockets pinged every `ms`: one that has not answered the last ping by the next is cut (its 'close'
// follows), so a peer that vanished without closing (a dropped mobile network, a sleeping laptop)
// gives back what it held.
export class SocketHeartbeat {
  readonly #open = new Set<WebSocket>();
  readonly #unanswered = new WeakSet<WebSocket>();
  readonly #timer: NodeJS.Timeout;
  readonly #onCut: () => void;

  constructor(ms: number, onCut: () => void = () => undefined) {
    this.#onCut = onCut;
    this.#timer = setInterval(() => this.#ping(), ms);
    this.#timer.unref();
  }

  // Pinged from now on, until it closes.
  watch(ws: WebSocket): void {
    this.#open.add(ws);
    ws.on('pong', () => this.#unanswered.delete(ws));
    ws.on('close', () => this.#open.delete(ws));
  }

  close(): void {
    clearInterval(this.#timer);
  }

  // A socket the server stopped reading (unread-bound.ts) cannot show its pongs: it is left to the
  // deadline it has there.
  #ping(): void {
    for (const ws of this.#open) {
      if (ws.isPaused) continue;
      if (this.#unanswered.has(ws)) {
        this.#onCut();
        ws.terminate();
        continue;
      }
      this.#unanswered.add(ws);
      ws.ping();
    }
  }
}

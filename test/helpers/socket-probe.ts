// A WebSocket probe for the tests: opens a socket, keeps every text frame it receives, and waits for
// the frame a test expects. A refused handshake rejects with HandshakeRefused and its HTTP status.
// Not a test file itself.
import { WebSocket, type ClientOptions } from 'ws';

export class HandshakeRefused extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`WebSocket handshake refused with HTTP ${status}`);
    this.status = status;
  }
}

export interface SocketProbe {
  ws: WebSocket;
  /** Every text frame received so far, in order. */
  frames: string[];
  /** Resolves with the first frame (received before or after the call) at index >= `from` matching `match`. */
  waitFor(match: (frame: string) => boolean, what: string, opts?: { from?: number; timeoutMs?: number }): Promise<string>;
  send(value: unknown): void;
  close(): Promise<void>;
}

export function openSocket(url: string, options: ClientOptions = {}): Promise<SocketProbe> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const frames: string[] = [];
    const waiters = new Set<() => void>();
    ws.on('message', (data) => {
      frames.push(String(data));
      for (const wake of waiters) wake();
    });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      reject(new HandshakeRefused(res.statusCode ?? 0));
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
    const closed = new Promise<void>((done) => ws.once('close', () => done()));
    ws.once('open', () =>
      resolve({
        ws,
        frames,
        waitFor(match, what, opts = {}) {
          const timeoutMs = opts.timeoutMs ?? 3000;
          return new Promise((found, fail) => {
            const check = () => {
              const frame = frames.slice(opts.from ?? 0).find(match);
              if (frame === undefined) return false;
              clearTimeout(timer);
              waiters.delete(wake);
              found(frame);
              return true;
            };
            const wake = () => void check();
            const timer = setTimeout(() => {
              waiters.delete(wake);
              fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; frames so far:\n${frames.join('\n---\n').slice(-3000)}`));
            }, timeoutMs);
            if (!check()) waiters.add(wake);
          });
        },
        send(value) {
          ws.send(typeof value === 'string' ? value : JSON.stringify(value));
        },
        async close() {
          if (ws.readyState === ws.CLOSED) return;
          ws.close();
          const timer = setTimeout(() => ws.terminate(), 1000);
          await closed;
          clearTimeout(timer);
        },
      }),
    );
  });
}

// An attacker's flood of the customer page's phone socket (/sip?chat=ID&token=T): many anonymous chats,
// several sockets each, a bounded number of attempts against 127.0.0.1, the sockets held open until
// close(). Not a test file itself.
import { WebSocket } from 'ws';
import { sleep } from './eventually.ts';
import { startChat } from './voice.ts';
import type { TestServer } from './server.ts';

export interface SipFlood {
  attempted(): number;
  /** Sockets whose handshake succeeded (some may have been closed since by the server). */
  opened(): number;
  /** Refused handshakes by HTTP status (0: no HTTP answer). */
  refused: Map<number, number>;
  /** Resolves once every attempt is made; never rejects. */
  finished: Promise<void>;
  close(): Promise<void>;
}

const BURST_IN_FLIGHT = 4;
const ATTEMPT_TIMEOUT_MS = 10_000;

export function customerSipUrl(server: Pick<TestServer, 'port'>, chat: { id: string; token: string }): string {
  return `ws://127.0.0.1:${server.port}/sip?chat=${chat.id}&token=${encodeURIComponent(chat.token)}`;
}

/**
 * Creates the chats, then attempts `burst` sockets as fast as a few at a time allow, and resolves; the
 * rest of the attempts go on in the background at `perSecond`, as a client that keeps reconnecting
 * would, so the pressure lasts while the test goes on.
 */
export async function sipFlood(
  server: Pick<TestServer, 'url' | 'port'>,
  opts: { chats: number; socketsPerChat: number; burst: number; perSecond: number },
): Promise<SipFlood> {
  const urls: string[] = [];
  for (let i = 0; i < opts.chats; i++) {
    const chat = await startChat(server, 'roadside', `+1555990${String(i).padStart(4, '0')}`);
    for (let j = 0; j < opts.socketsPerChat; j++) urls.push(customerSipUrl(server, chat));
  }
  const sockets: WebSocket[] = [];
  const refused = new Map<number, number>();
  let next = 0;
  let stopped = false;
  const attemptNext = async () => {
    const outcome = await attempt(urls[next++]!);
    if (typeof outcome === 'number') refused.set(outcome, (refused.get(outcome) ?? 0) + 1);
    else if (stopped) outcome.terminate();
    else sockets.push(outcome);
  };
  const burstWorker = async () => {
    while (next < Math.min(opts.burst, urls.length)) await attemptNext();
  };
  await Promise.all(Array.from({ length: BURST_IN_FLIGHT }, burstWorker));
  const paced: Promise<void>[] = [];
  const finished = (async () => {
    while (next < urls.length && !stopped) {
      paced.push(attemptNext());
      await sleep(1000 / opts.perSecond);
    }
    await Promise.all(paced);
  })();
  return {
    attempted: () => next,
    opened: () => sockets.length,
    refused,
    finished,
    async close() {
      stopped = true;
      await finished;
      await Promise.all(sockets.map((ws) => closeSocket(ws)));
    },
  };
}

// The open socket, or the status that refused it (0: no HTTP answer within the timeout, or a network error).
function attempt(url: string): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'sip');
    const timer = setTimeout(() => {
      ws.terminate();
      resolve(0);
    }, ATTEMPT_TIMEOUT_MS);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      res.resume();
      ws.terminate();
      resolve(res.statusCode ?? 0);
    });
    ws.on('error', () => {
      clearTimeout(timer);
      resolve(0);
    });
  });
}

function closeSocket(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => ws.terminate(), 1000);
    ws.once('close', () => {
      clearTimeout(timer);
      done();
    });
    ws.close();
  });
}

import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import { SocketHeartbeat } from '../socket-heartbeat.ts';
import { CLUSTER_LINK_PATH, SECRET_HEADER } from './link-server.ts';
import { decode, encode, fromWireError, leaderUnavailable, type CommandResponse } from './wire.ts';

export interface LinkClientDeps {
  // The leader's internal URL, from the node registry; undefined while nobody leads.
  leaderUrl(): Promise<string | undefined>;
  secret: string;
  logger: Logger;
  // How long a command waits for a link to the leader (a failover takes a second or two) before 503.
  waitMs?: number;
  retryMs?: number;
  // The link is pinged this often; one silent for a whole period is cut (long enough for a leader's
  // event loop busy a second or two, as under a resync, to answer).
  pingMs?: number;
}

// The link was stopped because this node now leads: the caller runs the command itself.
export class LinkStopped extends Error {
  constructor() {
    super('this node leads now');
    this.name = 'LinkStopped';
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

// A follower's end of the command link: one WebSocket to the leader, found in the registry and found
// again whenever it closes. A command in flight when the link breaks is answered 503 (it may or may
// not have run: never sent twice); a command with no link waits a little for the next leader. A leader
// that goes silent without closing (its host frozen or cut off: no FIN ever comes) stops answering
// pings, and its link is cut like a closed one instead of taking commands for ever.
export class LinkClient {
  readonly #d: LinkClientDeps;
  readonly #pending = new Map<number, Pending>();
  readonly #waiting = new Map<() => void, (err: Error) => void>();
  #ws: WebSocket | undefined;
  #nextId = 1;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #heartbeat: SocketHeartbeat;

  constructor(deps: LinkClientDeps) {
    this.#d = deps;
    this.#heartbeat = new SocketHeartbeat(deps.pingMs ?? 5000, () => this.#d.logger.warn('the leader stopped answering on the command link: cut'));
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#connectOrRetry();
  }

  // This node leads now: it runs commands itself.
  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    for (const fail of this.#waiting.values()) fail(new LinkStopped());
    this.#waiting.clear();
    // Not a closing handshake: a leader that went silent would hold the commands in flight for 30 s.
    this.#ws?.terminate();
    this.#ws = undefined;
  }

  get connected(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  async call(target: string, method: string, args: unknown[]): Promise<unknown> {
    const ws = await this.#open();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      ws.send(encode({ id, target, method, args }), (err) => {
        if (err && this.#pending.delete(id)) reject(leaderUnavailable('the command could not be sent'));
      });
    });
  }

  async #open(): Promise<WebSocket> {
    if (this.#ws?.readyState === WebSocket.OPEN) return this.#ws;
    await new Promise<void>((resolve, reject) => {
      const ready = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiting.delete(ready);
        reject(leaderUnavailable('no leader reachable'));
      }, this.#d.waitMs ?? 5000);
      this.#waiting.set(ready, (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    return this.#open();
  }

  async #connect(): Promise<void> {
    if (!this.#running) return;
    let url: string | undefined;
    try {
      url = await this.#d.leaderUrl();
    } catch (err) {
      this.#d.logger.warn({ err }, 'looking up the leader failed');
    }
    if (!url) return this.#retry();
    const ws = new WebSocket(new URL(CLUSTER_LINK_PATH, url.replace(/^http/, 'ws')), { headers: { [SECRET_HEADER]: this.#d.secret }, maxPayload: 64 * 1024 * 1024 });
    ws.on('open', () => {
      this.#ws = ws;
      this.#heartbeat.watch(ws);
      this.#d.logger.info({ leader: url }, 'command link to the leader open');
      for (const ready of this.#waiting.keys()) ready();
      this.#waiting.clear();
    });
    ws.on('message', (data) => this.#answer(decode(data.toString()) as CommandResponse));
    ws.on('unexpected-response', (_req, res) => {
      this.#d.logger.debug({ leader: url, status: res.statusCode }, 'the leader refused the command link');
      ws.terminate();
    });
    ws.on('error', (err) => this.#d.logger.debug({ err, leader: url }, 'command link error'));
    ws.on('close', () => {
      if (this.#ws === ws) this.#ws = undefined;
      for (const [id, pending] of this.#pending) {
        this.#pending.delete(id);
        pending.reject(leaderUnavailable('the leader went away during the command'));
      }
      this.#retry();
    });
  }

  #answer(response: CommandResponse): void {
    const pending = this.#pending.get(response.id);
    if (!pending) return;
    this.#pending.delete(response.id);
    if (response.ok) pending.resolve(response.result);
    else pending.reject(fromWireError(response.error));
  }

  #retry(): void {
    if (!this.#running) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#connectOrRetry(), this.#d.retryMs ?? 250);
  }

  #connectOrRetry(): void {
    this.#connect().catch((err: unknown) => {
      this.#d.logger.warn({ err }, 'opening the command link failed');
      this.#retry();
    });
  }
}

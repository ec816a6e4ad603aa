import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { refuseUpgrade } from '../upgrade-refusal.ts';
import { FORWARDED } from './commands.ts';
import { decode, encode, toWireError, type CommandRequest, type CommandResponse } from './wire.ts';

export const CLUSTER_LINK_PATH = '/internal/cluster';
export const SECRET_HEADER = 'x-cluster-secret';

export interface LinkServerDeps {
  // The objects commands run on, by the names of FORWARDED.
  targets: Record<string, object | null>;
  secret: string;
  isLeader(): boolean;
  logger: Logger;
}

// The leader's end of the command link: one WebSocket per follower on the leader's own HTTP server,
// opened only with the cluster secret (compared in constant time, never logged), and only while this
// node leads. Each request runs one allowlisted method of one target; the answer carries its result
// or the rules' typed error.
export class LinkServer {
  readonly #d: LinkServerDeps;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });

  constructor(deps: LinkServerDeps) {
    this.#d = deps;
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!sameSecret(req.headers[SECRET_HEADER], this.#d.secret)) return refuseUpgrade(socket, 401, 'not a node of this cluster');
    // A follower with a stale idea of the leader looks it up again.
    if (!this.#d.isLeader()) return refuseUpgrade(socket, 421, 'not the leader');
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#serve(ws));
  }

  // No closing handshake: a follower cut off by the network would hold this node's stop for 30 s, and
  // followers take any end of the link the same way (its commands in flight are answered 503).
  close(): void {
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
  }

  #serve(ws: WebSocket): void {
    ws.on('error', (err) => this.#d.logger.warn({ err }, 'cluster link socket error'));
    ws.on('message', (data: RawData) => {
      let request: CommandRequest;
      try {
        request = decode(data.toString()) as CommandRequest;
      } catch (err) {
        this.#d.logger.warn({ err }, 'unreadable cluster command');
        return ws.close(1003, 'unreadable');
      }
      this.#run(request).then((response) => {
        if (ws.readyState === ws.OPEN) ws.send(encode(response));
      }, (err: unknown) => this.#d.logger.error({ err }, 'answering a cluster command failed'));
    });
  }

  async #run({ id, target, method, args }: CommandRequest): Promise<CommandResponse> {
    const object = this.#d.targets[target] as Record<string, unknown> | null | undefined;
    const fn = object?.[method];
    if (!FORWARDED[target]?.[method] || typeof fn !== 'function') {
      return { id, ok: false, error: { kind: 'not_found', code: 'no_such_command', message: `${target}.${method} is not a cluster command here.` } };
    }
    try {
      return { id, ok: true, result: (await fn.apply(object, args)) ?? null };
    } catch (err) {
      const wire = toWireError(err);
      if (wire.kind === 'internal') this.#d.logger.error({ err, target, method }, 'a forwarded command failed');
      return { id, ok: false, error: wire };
    }
  }
}

function sameSecret(given: string | string[] | undefined, secret: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

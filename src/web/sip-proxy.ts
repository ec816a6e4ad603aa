import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import type { SipSocketOwner, SipSocketRefusal, SipSockets } from './sip-sockets.ts';
import { SocketHeartbeat } from './socket-heartbeat.ts';
import { refuseUpgrade } from './upgrade-refusal.ts';
import { holdWhileUnread } from './unread-bound.ts';

// One origin for agents: the softphone's SIP-over-WebSocket goes through the web server (same port,
// same TLS certificate: WSS under HTTPS) to Asterisk's /ws, which stays on loopback. Only callers the
// web layer has authorised get here, within the caps of SipSockets; each frame is piped as is, in
// order, both ways. A phone's socket is accepted only once Asterisk's answered: while the telephony is
// away the upgrade is refused (503) and sip.js tries again, instead of sending a REGISTER into a
// socket that closes, which it would then wait 32 s to give up on.
export class SipProxy {
  readonly #target: () => string | null;
  readonly #logger: Logger;
  readonly #sockets: SipSockets;
  // A phone that vanished without closing gives its place back.
  readonly #heartbeat: SocketHeartbeat;
  // Open sockets by owner ("agent:<session id>"), so an ended session's softphone is cut at once.
  readonly #byOwner = new Map<string, Set<WebSocket>>();
  readonly #wss = new WebSocketServer({
    noServer: true,
    maxPayload: 256 * 1024,
    handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
  });

  constructor(target: () => string | null, logger: Logger, sockets: SipSockets, pingMs: number) {
    this.#target = target;
    this.#logger = logger;
    this.#sockets = sockets;
    this.#heartbeat = new SocketHeartbeat(pingMs, () => logger.debug('sip proxy: a silent phone socket cut'));
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, owner: SipSocketOwner, who: string): void {
    const target = this.#target();
    if (!target) return this.refuse(socket, { status: 503, reason: 'calling_unavailable', message: 'telephony unavailable', retryAfterS: 2 });
    // Gone while it was being authorised: its 'close' has passed, and a place claimed now would stay taken.
    if (socket.destroyed) return;
    const place = this.#sockets.claim(owner);
    if ('status' in place) return this.refuse(socket, place);
    // The raw socket closes however the socket ends (handshake failed, either side closed).
    socket.once('close', place.release);
    const upstream = new WebSocket(target, 'sip');
    const gone = () => upstream.terminate(); // the phone left before Asterisk answered
    socket.once('close', gone);
    const unreachable = (err: Error) => {
      socket.removeListener('close', gone);
      if (socket.destroyed) return; // it was the phone that left
      this.#logger.warn({ err, who }, 'sip proxy cannot reach Asterisk');
      this.refuse(socket, { status: 503, reason: 'calling_unavailable', message: 'telephony unavailable', retryAfterS: 2 });
    };
    upstream.on('error', unreachable);
    upstream.once('open', () => {
      upstream.removeListener('error', unreachable); // pipe() handles errors from now on
      socket.removeListener('close', gone);
      if (socket.destroyed) return upstream.terminate();
      this.accept(req, socket, head, owner, upstream, who);
    });
  }

  private accept(req: IncomingMessage, socket: Duplex, head: Buffer, owner: SipSocketOwner, upstream: WebSocket, who: string): void {
    this.#wss.handleUpgrade(req, socket, head, (client) => {
      const key = ownerKey(owner);
      const mine = this.#byOwner.get(key) ?? new Set();
      this.#byOwner.set(key, mine.add(client));
      client.on('close', () => {
        mine.delete(client);
        if (mine.size === 0 && this.#byOwner.get(key) === mine) this.#byOwner.delete(key);
      });
      this.pipe(client, socket, upstream, who);
    });
  }

  // The owner's sockets close (their upstream with them): a session that ended keeps no phone.
  closeOwner(owner: SipSocketOwner, code: number, reason: string): void {
    for (const client of this.#byOwner.get(ownerKey(owner)) ?? []) client.close(code, reason);
  }

  // Refuses the upgrade and counts the refusal (cc_sip_sockets_refused_total).
  refuse(socket: Duplex, refusal: SipSocketRefusal): void {
    this.#sockets.countRefusal(refusal.reason);
    refuseUpgrade(socket, refusal.status, refusal.message, refusal.retryAfterS ? { 'Retry-After': refusal.retryAfterS } : {});
  }

  close(): void {
    this.#heartbeat.close();
    for (const ws of this.#wss.clients) ws.close(1012, 'server restarting');
    this.#wss.close();
  }

  // Both ends are open. `socket` is the phone's connection under `client`.
  private pipe(client: WebSocket, socket: Duplex, upstream: WebSocket, who: string): void {
    this.#heartbeat.watch(client);
    client.on('message', (data, isBinary) => {
      // Asterisk answers what a phone sends: a phone that does not read the answers sends no more.
      holdWhileUnread(client, socket);
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary: isBinary });
    });
    upstream.on('message', (data, isBinary) => {
      if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
    });
    const closeBoth = () => {
      if (client.readyState === WebSocket.OPEN || client.readyState === WebSocket.CONNECTING) client.close();
      if (upstream.readyState === WebSocket.OPEN) upstream.close();
      else if (upstream.readyState === WebSocket.CONNECTING) upstream.terminate();
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('error', (err) => this.#logger.debug({ err, who }, 'sip proxy client error'));
    upstream.on('error', (err) => {
      this.#logger.warn({ err, who }, 'sip proxy cannot reach Asterisk');
      closeBoth();
    });
  }
}

const ownerKey = (owner: SipSocketOwner) => `${owner.kind}:${owner.id}`;

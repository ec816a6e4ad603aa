import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ContactCenter } from '../domain/contact-center.ts';
import { DomainError } from '../domain/errors.ts';
import type { MultimediaDesk } from '../domain/multimedia.ts';
import { sessionOf } from './auth.ts';
import { SocketHeartbeat } from './socket-heartbeat.ts';
import { serveAgentSocket } from './desktop/realtime.ts';
import type { DesktopPresenter } from './desktop/presenter.ts';
import type { EventHub } from './event-hub.ts';
import { upgradeClientAddress } from './client-address.ts';
import { statusOf } from './http-errors.ts';
import type { Metrics } from './metrics.ts';
import type { CustomerSockets } from './mobile-api/customer-sockets.ts';
import { authorizeCustomerSocket, CUSTOMER_EVENTS_PATH, serveCustomerSocket } from './mobile-api/events-ws.ts';
import type { RateLimits } from './rate-limits.ts';
import { LIMITS } from '../domain/limits.ts';
import { CLUSTER_LINK_PATH } from './cluster/link-server.ts';
import type { AgentSession, SessionRegistry } from './sessions.ts';
import type { SipProxy } from './sip-proxy.ts';
import type { SupervisionSockets } from './supervisor/realtime.ts';
import { refuseUpgrade as refuse } from './upgrade-refusal.ts';

// A WebSocket close code of the application range: "your session ended, log in again".
export const SESSION_ENDED = 4401;

export interface RealtimeDeps {
  center: ContactCenter;
  // Closes a participant's video transports when their socket goes (closed tab, dropped connection).
  multimedia: MultimediaDesk;
  hub: EventHub;
  sessions: SessionRegistry;
  presenter: DesktopPresenter;
  metrics: Metrics;
  logger: Logger;
  sipProxy: SipProxy;
  // Messages sent over the customer's socket count against the chat's limit like those posted.
  rateLimits: RateLimits;
  // The web app: who opens a socket is read through it, as abuse limits count clients (TRUST_PROXY).
  app: Express;
  // ENDED_CHAT_ACCESS_H: a customer's socket closes when its chat's token stops opening it.
  endedChatAccessMs: number;
  // Places for customers' event sockets: per chat and on this node.
  customerSockets: CustomerSockets;
  simulatedPstn: boolean;
  // How often the desktop's and the supervisor page's sockets are pinged (one silent since is cut).
  staffSocketPingMs: number;
  // The supervisor pages' socket (/supervisor/ws).
  supervision?: SupervisionSockets;
  // A cluster leader's internal command link (web/cluster/link-server.ts).
  clusterLink?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

// Routes WebSocket upgrades: the agent desktop's socket (session cookie, same origin) and the
// customer's chat events (chat token). Anything else is refused before the handshake.
export function attachRealtime(server: Server, deps: RealtimeDeps): { close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const staffHeartbeat = new SocketHeartbeat(deps.staffSocketPingMs, () => deps.logger.debug('a silent desktop or supervisor socket cut'));
  const track = (ws: WebSocket, kind: 'agent' | 'supervisor' | 'customer') => {
    deps.metrics.sockets.inc({ kind });
    ws.on('close', () => deps.metrics.sockets.dec({ kind }));
    if (kind !== 'customer') staffHeartbeat.watch(ws); // the customers' are watched by their places
  };

  // An ended session's softphone socket is cut with its page's (see SESSION_ENDED below).
  const stopSipOfEnded = deps.sessions.onEnded((ended) => deps.sipProxy.closeOwner({ kind: 'agent', id: ended.id }, SESSION_ENDED, 'session ended'));

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err) => deps.logger.debug({ err }, 'upgrade socket error'));
    // A request line no URL parser takes (`GET http://[`) is refused, not thrown out of this listener.
    const url = URL.parse(req.url ?? '/', 'http://localhost');
    if (!url) return refuse(socket, 400, 'malformed URL');
    // As for every request (app.ts refuseNulInUrls): no id of ours holds U+0000.
    if (/%00/.test(req.url ?? '')) return refuse(socket, 400, 'nul_character');
    if (url.pathname === CLUSTER_LINK_PATH && deps.clusterLink) return deps.clusterLink(req, socket, head);
    if (url.pathname === '/desktop/ws') {
      return void withSession(req, socket, (session) => {
        if (!sameOrigin(req)) return refuse(socket, 403, 'cross-origin socket');
        wss.handleUpgrade(req, socket, head, (ws) => {
          track(ws, 'agent');
          serveAgentSocket({ ws, session, ...deps });
          endWithSession(ws, session);
        });
      }, () => refuse(socket, 401, 'not logged in'));
    }
    if (url.pathname === '/supervisor/ws' && deps.supervision) {
      const supervision = deps.supervision;
      return void withSession(req, socket, (session) => {
        if (!sameOrigin(req)) return refuse(socket, 403, 'cross-origin socket');
        supervision.authorize(session.agentId).then(
          () => wss.handleUpgrade(req, socket, head, (ws) => {
            track(ws, 'supervisor');
            supervision.serve(ws, session, url);
            endWithSession(ws, session);
          }),
          (err: unknown) => refuse(socket, err instanceof DomainError ? statusOf(err) : 500, 'supervisors only'),
        );
      }, () => refuse(socket, 401, 'not logged in'));
    }
    if (CUSTOMER_EVENTS_PATH.test(url.pathname)) {
      const after = Number(url.searchParams.get('after') ?? 0);
      // Each socket replays the conversation after `after`: opening one counts as a read of the chat.
      authorizeCustomerSocket(deps.center, url)
        .then((rec) => deps.rateLimits.historyRead(rec.id).then(() => rec))
        .then(
          (rec) => {
            const place = deps.customerSockets.claim(rec.id, upgradeClientAddress(deps.app, req));
            if (place instanceof DomainError) return refuse(socket, statusOf(place), place.message, { 'Retry-After': place.retryAfterS ?? 10 });
            // The raw socket closes whether or not the handshake completed: the place always comes back.
            // One the client closed while the chat was looked up has closed already.
            if (socket.destroyed) return place.release();
            socket.once('close', place.release);
            wss.handleUpgrade(req, socket, head, (ws) => {
              track(ws, 'customer');
              deps.customerSockets.watch(ws);
              // Past the largest seq there is nothing to replay; anything else malformed replays it all.
              const afterSeq = Number.isInteger(after) && after > 0 ? Math.min(after, LIMITS.seqMax) : 0;
              serveCustomerSocket({ ws, socket, req, rec, afterSeq, ...deps, place });
            });
          },
          (err: unknown) => {
            if (err instanceof DomainError) return refuse(socket, statusOf(err), err.message, err.retryAfterS === undefined ? undefined : { 'Retry-After': err.retryAfterS });
            deps.logger.error({ err }, 'customer socket authorisation failed');
            refuse(socket, 500, 'internal error');
          },
        );
      return;
    }
    if (url.pathname === '/sip' && url.searchParams.has('chat') && deps.simulatedPstn) {
      // Development: a customer's simulated phone, opened by that chat's token while the chat is open.
      const chat = url.searchParams.get('chat') ?? '';
      deps.center.authorizeCustomer(chat, url.searchParams.get('token') ?? undefined, 'use_phone').then(
        (rec) => deps.sipProxy.upgrade(req, socket, head, { kind: 'customer', id: rec.id, address: upgradeClientAddress(deps.app, req) }, `customer:${rec.id}`),
        (err: unknown) => {
          if (!(err instanceof DomainError)) deps.logger.error({ err }, 'phone socket authorisation failed');
          const status = err instanceof DomainError ? statusOf(err) : 500;
          if (err instanceof DomainError && err.code === 'chat_ended') return deps.sipProxy.refuse(socket, { status, reason: 'chat_ended', message: err.message });
          deps.sipProxy.refuse(socket, { status, reason: 'not_authorised', message: 'not authorised' });
        },
      );
      return;
    }
    if (url.pathname === '/sip') {
      // Only logged-in agents reach Asterisk's SIP: nobody anonymous gets a SIP socket through us.
      return void withSession(
        req,
        socket,
        (session) => {
          if (!sameOrigin(req)) return deps.sipProxy.refuse(socket, { status: 403, reason: 'not_authorised', message: 'cross-origin socket' });
          deps.sipProxy.upgrade(req, socket, head, { kind: 'agent', id: session.id }, session.agentId);
        },
        () => deps.sipProxy.refuse(socket, { status: 401, reason: 'not_authorised', message: 'not logged in' }),
      );
    }
    refuse(socket, 404, 'no such socket');
  });

  // A session ended by an admin (disabled, new password) or by a password change elsewhere: the page
  // hears it at once and goes to the login (public/desktop.js).
  const endWithSession = (ws: WebSocket, session: AgentSession) => {
    const stop = deps.sessions.onEnded((ended) => {
      if (ended.id === session.id) ws.close(SESSION_ENDED, 'session ended');
    });
    ws.on('close', stop);
  };

  // The session of an upgrade (a cluster reads it from the shared store); a failed lookup refuses it.
  const withSession = (req: IncomingMessage, socket: Duplex, serve: (session: AgentSession) => void, refuseIt: () => void) =>
    sessionOf(deps.sessions, req).then(
      (session) => (session ? serve(session) : refuseIt()),
      (err: unknown) => {
        deps.logger.error({ err }, 'looking up a session failed');
        refuse(socket, 503, 'sessions unavailable');
      },
    );

  return {
    close() {
      stopSipOfEnded();
      // 1012 "service restart": browsers' reconnect logic treats it as worth retrying.
      for (const ws of wss.clients) ws.close(1012, 'server restarting');
      wss.close();
      deps.sipProxy.close();
      deps.customerSockets.close();
      staffHeartbeat.close();
    },
  };
}

function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true; // non-browser clients send none; the session cookie still gates them
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

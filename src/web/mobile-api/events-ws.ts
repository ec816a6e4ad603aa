import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { ContactCenter } from '../../domain/contact-center.ts';
import type { InteractionRecord } from '../../domain/interaction.ts';
import type { MultimediaDesk } from '../../domain/multimedia.ts';
import { visibleToCustomer, type TimelineEntry } from '../../domain/timeline.ts';
import type { EventHub } from '../event-hub.ts';
import type { RateLimits } from '../rate-limits.ts';
import { TimelineFeed } from '../timeline-feed.ts';
import { holdWhileUnread } from '../unread-bound.ts';
import { LIMITS } from '../../domain/limits.ts';
import { DomainError, invalid } from '../../domain/errors.ts';
import { telephonyUnavailable } from '../../domain/guards.ts';
import { MALFORMED_URL } from '../http-errors.ts';
import { parseBody, socketMessageSchema } from './schemas.ts';
import { chatJson, messageJson } from './serialize.ts';

export const CUSTOMER_EVENTS_PATH = /^\/api\/v1\/chats\/([^/]+)\/events$/;

// The customer's live feed: `{type:"chat"}` on connect and on every state change, then
// `{type:"timeline", seq, kind, ...}` for each visible entry after `?after=`. With calling configured,
// `{type:"telephony", available, message?}` when calls stop or start being possible (on connect too,
// while they are not).
export async function authorizeCustomerSocket(center: ContactCenter, url: URL): Promise<InteractionRecord> {
  let id: string;
  try {
    id = decodeURIComponent(CUSTOMER_EVENTS_PATH.exec(url.pathname)?.[1] ?? '');
  } catch {
    throw invalid('malformed_url', MALFORMED_URL);
  }
  return center.authorizeCustomer(id, url.searchParams.get('token') ?? undefined);
}

export function serveCustomerSocket(opts: {
  ws: WebSocket;
  // The connection under `ws`, corked for a turn so what this turn sends leaves in one write.
  socket: Duplex;
  req: IncomingMessage;
  rec: InteractionRecord;
  afterSeq: number;
  center: ContactCenter;
  multimedia: MultimediaDesk;
  hub: EventHub;
  logger: Logger;
  rateLimits: RateLimits;
  // This socket's place among the chat's (CustomerSockets.claim).
  place: { release(): void };
  // ENDED_CHAT_ACCESS_H: how long after its end a chat's token still opens it.
  endedChatAccessMs: number;
}): void {
  const { ws, socket, rec, center, multimedia, hub, logger, rateLimits } = opts;
  // The page this socket is, for the rules' count of the customer's pages (video-pages.ts).
  const pageId = randomUUID();
  multimedia.customerJoined(rec.id, pageId);
  // Frames sent in one turn (the acks of one group commit, say) leave in one write: a syscall per
  // frame was a quarter of the event loop under load (bench:chat).
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  const sendJson = (value: unknown) => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    ws.send(JSON.stringify(value));
  };
  const agentNames = new Map<string, string | null>();
  const agentName = async (agentId: string | null) => {
    if (!agentId) return null;
    if (!agentNames.has(agentId)) agentNames.set(agentId, await center.agentDisplayName(agentId));
    return agentNames.get(agentId) ?? null;
  };
  const sendChat = async (r: InteractionRecord) => sendJson({ type: 'chat', chat: chatJson(r, await agentName(r.agentId)) });
  const sendTelephony = (available: boolean) => sendJson({ type: 'telephony', available, ...(available ? {} : { message: telephonyUnavailable().message }) });
  const onError = (err: unknown) => logger.error({ err, interactionId: rec.id }, 'customer feed failed');

  // Messages this socket sent itself come back in their ack, not a second time on the timeline.
  const sentHere = new Set<string>();
  const sendEntries = (entries: TimelineEntry[]) => {
    for (const entry of entries) {
      if (!visibleToCustomer(entry)) continue;
      if (entry.clientId !== null && sentHere.delete(entry.clientId)) continue;
      const isMessage = entry.kind === 'message' || entry.kind === 'attachment';
      sendJson({
        type: 'timeline',
        seq: entry.seq,
        kind: entry.kind,
        ...(isMessage ? { message: messageJson(entry) } : {}),
        ...(entry.kind === 'accepted' ? { agent: { name: agentNames.get(entry.agentId ?? '') ?? null } } : {}),
        ...(entry.kind === 'video' && entry.data ? { video: { id: entry.data.id, state: entry.data.state, ended_by: entry.data.endedBy } } : {}),
        at: new Date(entry.createdAt).toISOString(),
      });
    }
  };
  const feed = new TimelineFeed({
    afterSeq: opts.afterSeq,
    read: (after) => center.timeline(rec.id, after),
    send: sendEntries,
    onError,
  });

  // The token stops opening the chat ENDED_CHAT_ACCESS_H after its end; a socket it opened goes then
  // too, or it would hold its place (and the address's) for ever.
  let accessEnds: NodeJS.Timeout | undefined;
  const closeWhenAccessEnds = (r: InteractionRecord) => {
    if (r.endedAt === null || accessEnds) return;
    accessEnds = setTimeout(() => ws.close(1008, 'the chat has ended'), Math.max(0, r.endedAt + opts.endedChatAccessMs - Date.now()));
    accessEnds.unref();
  };
  closeWhenAccessEnds(rec);

  // Subscribe before reading back, so nothing written in between is missed.
  const unsubscribe = hub.onInteraction(rec.id, (event) => {
    if (event.type === 'entry_appended') {
      if (event.entry.kind === 'accepted') {
        // Learn the agent's name before the entry goes out; the feed keeps the order.
        agentName(event.entry.agentId).then(() => feed.push(event.entry), onError);
      } else feed.push(event.entry);
    } else if (event.type === 'interaction_changed') {
      closeWhenAccessEnds(event.interaction);
      sendChat(event.interaction).catch(onError);
    }
    else if (event.type === 'telephony_changed') sendTelephony(event.available);
  });
  // Apps may also send over the socket: {type:"message", text, client_id} is answered by
  // {type:"ack", client_id, message} once stored, or {type:"error", client_id, error}.
  ws.on('message', (data) => {
    holdWhileUnread(ws, socket);
    let body: unknown;
    try {
      body = JSON.parse(String(data));
    } catch {
      return sendJson({ type: 'error', error: { code: 'malformed_json', message: 'Frames must be JSON.' } });
    }
    // Echoed in an error only when it could be one: a frame's junk is not sent back at the size it came.
    const sentId = (body as { client_id?: unknown } | null)?.client_id;
    const clientId = typeof sentId === 'string' && sentId.length <= LIMITS.clientIdMaxChars ? sentId : null;
    if ((body as { type?: unknown } | null)?.type !== 'message') {
      return sendJson({ type: 'error', client_id: clientId, error: { code: 'unknown_frame', message: 'Only {type:"message"} frames are accepted.' } });
    }
    const refuse = (err: unknown) => {
      if (!(err instanceof DomainError)) return onError(err);
      const retry = err.retryAfterS === undefined ? {} : { retry_after_s: err.retryAfterS };
      sendJson({ type: 'error', client_id: clientId ?? null, error: { code: err.code, message: err.message }, ...retry });
    };
    let msg: { text: string; client_id?: string | undefined };
    try {
      msg = parseBody(socketMessageSchema, body);
    } catch (err) {
      return refuse(err);
    }
    if (msg.client_id !== undefined) sentHere.add(msg.client_id);
    rateLimits
      .message(rec.id)
      .then(() => center.postCustomerMessage(rec.id, msg.text, msg.client_id))
      .then((entry) => {
        // The feed is past this entry (it skipped it, or the socket asked to start after it): the id
        // will not come back to be crossed off.
        if (entry.clientId !== null && feed.lastSent >= entry.seq) sentHere.delete(entry.clientId);
        sendJson({ type: 'ack', client_id: entry.clientId, message: messageJson(entry) });
      })
      .catch((err: unknown) => {
        if (msg.client_id !== undefined) sentHere.delete(msg.client_id); // nothing stored: no echo to skip
        refuse(err);
      });
  });
  ws.on('close', () => {
    clearTimeout(accessEnds);
    unsubscribe();
    // The customer's last page is gone or lost its connection: so are its video transports (it makes
    // new ones when it comes back). An older socket cut late (its network went, the page opened
    // another, on this node or another) leaves the video the page made again alone.
    opts.place.release();
    multimedia.participantLeft(rec.id, 'customer', pageId);
  });
  ws.on('error', (err) => logger.debug({ err, interactionId: rec.id }, 'customer socket error'));
  agentName(rec.agentId)
    .then(() => sendChat(rec))
    .then(() => multimedia.capabilities.telephonyAway && sendTelephony(false))
    .then(() => feed.sync())
    .catch(onError);
}

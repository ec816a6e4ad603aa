import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { ContactCenter } from '../../domain/contact-center.ts';
import type { InteractionRecord } from '../../domain/interaction.ts';
import { visibleToCustomer, type TimelineEntry } from '../../domain/timeline.ts';
import type { EventHub } from '../event-hub.ts';
import { TimelineFeed } from '../timeline-feed.ts';
import { chatJson, messageJson } from './serialize.ts';

export const CUSTOMER_EVENTS_PATH = /^\/api\/v1\/chats\/([^/]+)\/events$/;

// The customer's live feed: `{type:"chat"}` on connect and on every state change, then
// `{type:"timeline", seq, kind, ...}` for each visible entry after `?after=`.
export async function authorizeCustomerSocket(center: ContactCenter, url: URL): Promise<InteractionRecord> {
  const id = decodeURIComponent(CUSTOMER_EVENTS_PATH.exec(url.pathname)?.[1] ?? '');
  return center.authorizeCustomer(id, url.searchParams.get('token') ?? undefined);
}

export function serveCustomerSocket(opts: {
  ws: WebSocket;
  req: IncomingMessage;
  rec: InteractionRecord;
  afterSeq: number;
  center: ContactCenter;
  hub: EventHub;
  logger: Logger;
}): void {
  const { ws, rec, center, hub, logger } = opts;
  const sendJson = (value: unknown) => ws.send(JSON.stringify(value));
  const agentNames = new Map<string, string | null>();
  const agentName = async (agentId: string | null) => {
    if (!agentId) return null;
    if (!agentNames.has(agentId)) agentNames.set(agentId, await center.agentDisplayName(agentId));
    return agentNames.get(agentId) ?? null;
  };
  const sendChat = async (r: InteractionRecord) => sendJson({ type: 'chat', chat: chatJson(r, await agentName(r.agentId)) });
  const onError = (err: unknown) => logger.error({ err, interactionId: rec.id }, 'customer feed failed');

  const sendEntries = (entries: TimelineEntry[]) => {
    for (const entry of entries) {
      if (!visibleToCustomer(entry)) continue;
      const isMessage = entry.kind === 'message' || entry.kind === 'attachment';
      sendJson({
        type: 'timeline',
        seq: entry.seq,
        kind: entry.kind,
        ...(isMessage ? { message: messageJson(entry) } : {}),
        ...(entry.kind === 'accepted' ? { agent: { name: agentNames.get(entry.agentId ?? '') ?? null } } : {}),
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

  // Subscribe before reading back, so nothing written in between is missed.
  const unsubscribe = hub.onInteraction(rec.id, (event) => {
    if (event.type === 'entry_appended') {
      if (event.entry.kind === 'accepted') {
        // Learn the agent's name before the entry goes out; the feed keeps the order.
        agentName(event.entry.agentId).then(() => feed.push(event.entry), onError);
      } else feed.push(event.entry);
    } else if (event.type === 'interaction_changed') sendChat(event.interaction).catch(onError);
  });
  ws.on('close', unsubscribe);
  ws.on('error', (err) => logger.debug({ err, interactionId: rec.id }, 'customer socket error'));
  agentName(rec.agentId)
    .then(() => sendChat(rec))
    .then(() => feed.sync())
    .catch(onError);
}

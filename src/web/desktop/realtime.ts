import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { ContactCenter } from '../../domain/contact-center.ts';
import type { DomainEvent } from '../../domain/events.ts';
import type { MultimediaDesk } from '../../domain/multimedia.ts';
import type { EventHub } from '../event-hub.ts';
import type { AgentSession } from '../sessions.ts';
import { TimelineFeed } from '../timeline-feed.ts';
import type { DesktopPresenter } from './presenter.ts';

// One WebSocket per desktop page. The server pushes out-of-band HTML fragments; the page sends
// `{"type":"sync","interaction":id,"after":seq}` for each chat panel it shows (on load and after every
// reconnect) and gets every entry after that seq exactly once.
export function serveAgentSocket(opts: {
  ws: WebSocket;
  session: AgentSession;
  center: ContactCenter;
  multimedia: MultimediaDesk;
  hub: EventHub;
  presenter: DesktopPresenter;
  logger: Logger;
}): void {
  const { ws, session, center, multimedia, hub, presenter, logger } = opts;
  const agentId = session.agentId;
  const feeds = new Map<string, TimelineFeed>();
  const onError = (err: unknown) => logger.error({ err, agentId }, 'desktop push failed');
  // Fragments produced in the same turn go out as one frame: htmx swaps each top-level element of a
  // frame on its own, and a busy agent's socket makes one write instead of dozens. Entries appended
  // to open panels wait there as views and are rendered together, one template call per frame.
  type Pending = string | { appendTo: string; entries: object[] };
  let outbox: Pending[] = [];
  const render = (items: Pending[]) => {
    let frame = '';
    let groups: Array<Exclude<Pending, string>> = [];
    for (const item of items) {
      if (typeof item !== 'string') {
        groups.push(item);
        continue;
      }
      if (groups.length > 0) frame += presenter.appendedEntries(groups);
      groups = [];
      frame += item;
    }
    return groups.length > 0 ? frame + presenter.appendedEntries(groups) : frame;
  };
  const flush = () => {
    const items = outbox;
    outbox = [];
    try {
      if (ws.readyState === ws.OPEN) ws.send(render(items));
    } catch (err) {
      onError(err);
    }
  };
  const send = (item: Pending) => {
    if (!item) return;
    if (outbox.length === 0) setImmediate(flush);
    outbox.push(item);
  };
  // Fragments leave in the order they were produced, even when one had to wait for a lookup: a
  // message shown at once must not overtake the one before it in the same chat.
  // `waiting` is the last fragment still in line, null when none is.
  let waiting: Promise<void> | null = null;
  const push = (item: Pending | Promise<string>) => {
    if (!(item instanceof Promise) && waiting === null) return send(item);
    // Handled now, not when its turn comes: a failed render must not count as an unhandled rejection.
    const ready = Promise.resolve(item).catch((err: unknown) => (onError(err), ''));
    const inLine: Promise<void> = (waiting ?? Promise.resolve())
      .then(() => ready)
      .then(send)
      .catch(onError)
      .finally(() => {
        if (waiting === inLine) waiting = null;
      });
    waiting = inLine;
  };

  const openFeed = async (interactionId: string, afterSeq: number) => {
    const rec = await center.interactionForAgent(agentId, interactionId);
    let feed = feeds.get(interactionId);
    if (!feed) {
      feed = new TimelineFeed({
        afterSeq,
        read: (after) => center.timeline(interactionId, after),
        send: (entries) => {
          const shown = entries.filter((e) => e.kind !== 'offered' && e.kind !== 'offer_expired');
          if (shown.length === 0) return;
          const views = presenter.entriesNow(rec, shown);
          push(views ? { appendTo: rec.id, entries: views } : presenter.entriesFragment(rec, shown));
        },
        onError,
      });
      feeds.set(interactionId, feed);
    }
    feed.restartAfter(afterSeq);
  };

  const onEvent = (event: DomainEvent) => {
    switch (event.type) {
      case 'entry_appended':
        feeds.get(event.interaction.id)?.push(event.entry);
        if (event.entry.kind === 'context') push(presenter.contextFragment(event.interaction));
        if (event.entry.kind === 'call' || event.entry.kind === 'video') push(presenter.mediaFragments(event.interaction));
        break;
      case 'interaction_changed':
        push(presenter.listFragment(agentId, true));
        if (feeds.has(event.interaction.id)) push(presenter.stateFragments(event.interaction));
        break;
      case 'presence_changed':
        send(presenter.presenceFragment(event.agent, true));
        break;
    }
  };
  const unsubscribe = hub.onAgent(agentId, onEvent);

  ws.on('message', (data) => {
    let msg: { type?: unknown; interaction?: unknown; after?: unknown };
    try {
      msg = JSON.parse(String(data));
    } catch {
      return; // htmx's own form sends are not used on this socket; anything unparsable is ignored
    }
    if (msg.type === 'sync' && typeof msg.interaction === 'string' && Number.isInteger(msg.after)) {
      openFeed(msg.interaction, Number(msg.after)).catch((err: unknown) => logger.warn({ err, agentId }, 'sync refused'));
    }
  });
  ws.on('close', () => {
    unsubscribe();
    // The desktop page is gone or lost its connection: so are the agent's video transports (a page
    // that comes back makes new ones).
    multimedia.agentLeft(agentId);
  });
  ws.on('error', (err) => logger.debug({ err, agentId }, 'desktop socket error'));

  // A (re)connected page gets the current list and presence at once: nothing missed while away.
  send(presenter.presenceFragment(center.agentState(agentId), true));
  push(presenter.listFragment(agentId, true));
}

import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { presenceOf } from '../../domain/agent-presence.ts';
import { syncRequestOf } from '../sync-message.ts';
import { DomainError } from '../../domain/errors.ts';
import type { ContactCenter } from '../../domain/contact-center.ts';
import type { DomainEvent } from '../../domain/events.ts';
import type { InteractionRecord } from '../../domain/interaction.ts';
import type { MultimediaDesk } from '../../domain/multimedia.ts';
import { shownToAgents } from '../../domain/timeline.ts';
import type { EventHub } from '../event-hub.ts';
import type { AgentSession } from '../sessions.ts';
import { TimelineFeed } from '../timeline-feed.ts';
import { FragmentOutbox } from './fragment-outbox.ts';
import type { DesktopPresenter } from './presenter.ts';

// One WebSocket per desktop page. The server pushes out-of-band HTML fragments; the page sends
// `{"type":"sync","interaction":id,"after":seq}` for each chat panel it shows (on load, after every
// reconnect and after every answer swapped in) and gets every entry after that seq exactly once; with
// `"redraw":true` (after an answer that did what was asked) the panel's state as it is now too.
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
  // The page this socket is: an agent may have the desktop open in two tabs, on two nodes
  // (video-pages.ts).
  const pageId = randomUUID();
  multimedia.agentJoined(agentId, pageId);
  const feeds = new Map<string, TimelineFeed>();
  // Per open panel, whether the composer last pushed let the agent write: it is pushed again only
  // when that changes, so a redraw does not wipe a draft for nothing. Unknown until the first push.
  const composerWrites = new Map<string, boolean>();
  const composerChanged = (rec: InteractionRecord) => {
    const canWrite = presenter.canWrite(rec, agentId);
    if (composerWrites.get(rec.id) === canWrite) return false;
    composerWrites.set(rec.id, canWrite);
    return true;
  };
  const onError = (err: unknown) => logger.error({ err, agentId }, 'desktop push failed');
  const outbox = new FragmentOutbox({
    renderGroups: (groups) => presenter.appendedEntries(groups),
    write: (frame) => {
      if (ws.readyState === ws.OPEN) ws.send(frame);
    },
    onError,
  });

  // A panel no longer the agent's (handed on meanwhile) gets no redraw.
  const redrawn = (interactionId: string, area: (now: InteractionRecord) => Promise<string>) =>
    center.interactionForAgent(agentId, interactionId).then(
      area,
      (err: unknown) => (err instanceof DomainError ? '' : Promise.reject(err)),
    );

  const openFeed = async (interactionId: string, afterSeq: number, redraw: boolean) => {
    const rec = await center.interactionForAgent(agentId, interactionId);
    let feed = feeds.get(interactionId);
    if (!feed) {
      feed = new TimelineFeed({
        afterSeq,
        read: (after) => center.timeline(interactionId, after),
        send: (entries) => {
          const shown = entries.filter(shownToAgents);
          if (shown.length === 0) return;
          const views = presenter.entriesNow(rec, shown);
          outbox.push(views ? { appendTo: rec.id, entries: views } : presenter.entriesFragment(rec, shown));
          // Live or read back after the socket was away: new context, or a wrap-up done (in another tab),
          // redraws its area as it is now.
          if (shown.some((e) => e.kind === 'context')) outbox.push(redrawn(interactionId, (now) => presenter.contextFragment(now)));
          if (shown.some((e) => e.kind === 'wrap_up')) outbox.push(redrawn(interactionId, (now) => presenter.wrapUpFragment(now, agentId)));
        },
        onError,
      });
      feeds.set(interactionId, feed);
      redraw = true;
    }
    // The panel was drawn before its feed opened (or before the socket came back), or an answer was
    // just swapped into it: either may show the chat, its call and its video as they were when drawn,
    // older than what was pushed meanwhile (a customer who ended it, a consulted phone that answered
    // before Consult's answer landed). Redraw them as they are. The page skips a redraw that changes
    // nothing, so the controls the agent may be clicking stay the same ones. Not after a refusal: its
    // answer shows why, and a send's keeps its client id for the retry.
    if (redraw) {
      composerChanged(rec);
      outbox.push(presenter.stateFragments(rec, agentId, { composer: true }));
      outbox.push(presenter.mediaFragments(rec, agentId));
    }
    feed.restartAfter(afterSeq);
  };

  const onEvent = (event: DomainEvent) => {
    switch (event.type) {
      case 'entry_appended':
        feeds.get(event.interaction.id)?.push(event.entry);
        // Drawn again from the event's own record: on a follower the one read back for the feed's redraw
        // may be older than the entry (the replica catching up), and this one corrects it.
        if (event.entry.kind === 'context' && feeds.has(event.interaction.id)) outbox.push(presenter.contextFragment(event.interaction));
        if (event.entry.kind === 'call' || event.entry.kind === 'video' || event.entry.kind === 'recording') outbox.push(presenter.mediaFragments(event.interaction, agentId));
        break;
      case 'interaction_changed':
        outbox.push(presenter.listFragment(agentId, true));
        if (feeds.has(event.interaction.id)) outbox.push(presenter.stateFragments(event.interaction, agentId, { composer: composerChanged(event.interaction) }));
        // The number, call and video controls follow the chat's state with or without a call (an ended
        // chat's number is no longer callable; a transfer moves the call with the chat).
        if (feeds.has(event.interaction.id)) outbox.push(presenter.mediaFragments(event.interaction, agentId));
        break;
      case 'presence_changed':
        outbox.send(presenter.presenceFragment(event.agent, true));
        // Leaving wrap-up (Done, or its time ran out) lets the ended chats go from the list.
        outbox.push(presenter.listFragment(agentId, true));
        break;
      case 'telephony_changed':
        // The header's notice, and in every open panel the number and the call (its timer).
        outbox.send(presenter.telephonyFragment());
        // Only the chats the agent still has or is offered: a panel left open on one handed on since
        // (Complete transfer, a consult cancelled) is no longer theirs to redraw.
        for (const rec of center.openInteractionsOf(agentId)) if (feeds.has(rec.id)) outbox.push(presenter.mediaFragments(rec, agentId));
        break;
    }
  };
  const unsubscribe = hub.onAgent(agentId, onEvent);
  // Another agent became Ready or stopped being: the Transfer to lists of the chats this agent handles.
  const stopPresence = hub.onPresence((event) => {
    if (event.type !== 'presence_changed' || event.agent.agentId === agentId) return;
    for (const rec of center.openInteractionsOf(agentId)) if (feeds.has(rec.id) && rec.agentId === agentId) outbox.push(presenter.transferSelectFragment(rec, agentId));
  });

  ws.on('message', (data) => {
    const sync = syncRequestOf(data);
    if (!sync) return;
    // A panel this socket never fed (the page came back after the chat was handed on) is replaced by why;
    // one it fed stays as it was (the agent who just completed a transfer still reads what was said).
    const fedBefore = feeds.has(sync.interaction);
    openFeed(sync.interaction, sync.after, sync.redraw).catch((err: unknown) => {
      if (err instanceof DomainError && !fedBefore) return outbox.send(presenter.panelRefused(sync.interaction, err.message));
      logger.warn({ err, agentId }, 'sync refused');
    });
  });
  ws.on('close', () => {
    unsubscribe();
    stopPresence();
    // The agent's last desktop page is gone or lost its connection: so are their video transports (a
    // page that comes back makes new ones). Another tab closing leaves a running video alone.
    multimedia.agentLeft(agentId, pageId);
  });
  ws.on('error', (err) => logger.debug({ err, agentId }, 'desktop socket error'));

  // A (re)connected page gets the current list and presence at once: nothing missed while away.
  outbox.send(presenter.presenceFragment({ presence: presenceOf(center.agents(), agentId) }, true));
  if (presenter.callingConfigured) outbox.send(presenter.telephonyFragment());
  outbox.push(presenter.listFragment(agentId, true));
}

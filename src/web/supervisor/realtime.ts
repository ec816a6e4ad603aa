import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { Administration } from '../../domain/administration.ts';
import type { ContactCenter } from '../../domain/contact-center.ts';
import type { DomainEvent } from '../../domain/events.ts';
import { FragmentOutbox } from '../desktop/fragment-outbox.ts';
import type { EventHub } from '../event-hub.ts';
import type { AgentSession } from '../sessions.ts';
import { syncRequestOf } from '../sync-message.ts';
import { TimelineFeed } from '../timeline-feed.ts';
import { FloorFeed } from './floor-feed.ts';
import type { SupervisorPresenter } from './presenter.ts';

// The supervisor pages' WebSocket (/supervisor/ws), for supervisors and admins only. With
// `?view=floor` (the floor page) it gets the floor's three parts whenever they change; a Monitor page
// sends `{"type":"sync","interaction":id,"after":seq}` as the desktop does and gets that interaction's
// timeline after seq, each entry once, and its status, call (with this supervisor's Listen / Whisper /
// Barge / Stop) and context as they change.
export class SupervisionSockets {
  readonly #admin: Administration;
  readonly #center: ContactCenter;
  readonly #hub: EventHub;
  readonly #presenter: SupervisorPresenter;
  readonly #logger: Logger;
  readonly #floor: FloorFeed;

  constructor(deps: { admin: Administration; center: ContactCenter; hub: EventHub; presenter: SupervisorPresenter; logger: Logger }) {
    this.#admin = deps.admin;
    this.#center = deps.center;
    this.#hub = deps.hub;
    this.#presenter = deps.presenter;
    this.#logger = deps.logger;
    this.#floor = new FloorFeed({ hub: deps.hub, render: () => deps.presenter.floorFragments(true), onError: (err) => deps.logger.error({ err }, 'floor push failed') });
  }

  // Rejects (a DomainError: 403) unless the session's agent is a supervisor or an admin.
  authorize(agentId: string): Promise<unknown> {
    return this.#admin.requireSupervisor(agentId);
  }

  serve(ws: WebSocket, session: AgentSession, url: URL): void {
    const agentId = session.agentId;
    const onError = (err: unknown) => this.#logger.error({ err, agentId }, 'supervisor push failed');
    const write = (frame: string) => {
      if (ws.readyState === ws.OPEN) ws.send(frame);
    };
    // The role is asked again before anything goes out, as the pages ask on every request: a
    // supervisor made an agent sees nothing more (the socket closes; its reconnects are refused).
    const allowed = <T>(what: () => Promise<T>): Promise<T> =>
      this.authorize(agentId).then(
        () => what(),
        (err: unknown) => {
          ws.close(NOT_ALLOWED, 'supervisors only');
          throw err;
        },
      );
    const stops: Array<() => void> = [];
    if (url.searchParams.get('view') === 'floor') {
      stops.push(this.#floor.join((frame) => void allowed(async () => frame).then(write, () => undefined)));
      // A (re)connected page gets the floor as it is now: nothing missed while away.
      this.#presenter.floorFragments(true).then(write, onError);
    }
    const outbox = new FragmentOutbox({ renderGroups: (groups) => this.#presenter.appendedEntries(groups), write, onError });
    const feeds = new Map<string, TimelineFeed>();

    const monitor = async (interactionId: string, afterSeq: number) => {
      const rec = await allowed(() => this.#presenter.interaction(interactionId));
      // Closed while the role was checked: its close handler already ran, so nothing may subscribe now.
      if (ws.readyState !== ws.OPEN) return;
      let feed = feeds.get(rec.id);
      if (!feed && feeds.size >= MONITORS_PER_SOCKET) throw new Error(`a page monitors at most ${MONITORS_PER_SOCKET} interactions`);
      if (!feed) {
        feed = new TimelineFeed({
          afterSeq,
          read: (after) => this.#center.timeline(rec.id, after),
          send: (entries) => outbox.push(allowed(() => this.#presenter.entries(rec, entries)).then((views) => this.#presenter.appendedEntries([{ appendTo: rec.id, entries: views }]))),
          onError,
        });
        feeds.set(rec.id, feed);
        const onEvent = (event: DomainEvent) => {
          if (event.type === 'entry_appended') feed!.push(event.entry);
          const parts = partsChangedBy(event);
          if (parts && 'interaction' in event) outbox.push(allowed(() => this.#presenter.monitorFragments(event.interaction, parts, agentId)));
        };
        stops.push(this.#hub.onInteraction(rec.id, onEvent));
        // A page that was away may show the call and state as they were then.
        outbox.push(this.#presenter.monitorFragments(rec, { status: true, call: true, context: true }, agentId));
      }
      feed.restartAfter(afterSeq);
    };

    ws.on('message', (data) => {
      const sync = syncRequestOf(data);
      if (sync) monitor(sync.interaction, sync.after).catch((err: unknown) => this.#logger.warn({ err, agentId }, 'monitor sync refused'));
    });
    ws.on('close', () => stops.forEach((stop) => stop()));
    ws.on('error', (err) => this.#logger.debug({ err, agentId }, 'supervisor socket error'));
  }
}

// A Monitor page follows one interaction; a socket may follow a few (what it holds is bounded).
const MONITORS_PER_SOCKET = 20;

// A WebSocket close code of the application range: "this page is not yours to see any more".
export const NOT_ALLOWED = 4403;

// Which parts of a Monitor page an event redraws (entries are the feed's). A supervisor joining,
// changing mode or leaving redraws the call panel, whose controls say who is on the call.
function partsChangedBy(event: DomainEvent): { status?: boolean; call?: boolean; context?: boolean } | null {
  if (event.type === 'interaction_changed') return { status: true, call: true };
  if (event.type !== 'entry_appended') return null;
  if (event.entry.kind === 'call' || event.entry.kind === 'supervision') return { call: true };
  if (event.entry.kind === 'context') return { context: true };
  return null;
}

import { waitingSince } from './acceptance.ts';
import type { RatingRecord } from './closure-ports.ts';
import type { DomainEvents } from './events.ts';
import { floorWindow, milestonesOf, serviceFigures, type FloorAgent, type FloorWindow, type Milestones, type ServiceFigures } from './floor-stats.ts';

const HOUR_MS = 3_600_000;
import { liveLeg, type InteractionRecord, type InteractionState } from './interaction.ts';
import type { TimelineEntry } from './timeline.ts';
import type { CallLegState } from './call-leg.ts';
import type { Clock } from './ports.ts';
import { averages } from './rating.ts';
import { isVideoOpen } from './video-session.ts';

// What the floor reads from the store: the milestones of every interaction created or ended since a
// time (both engines answer it from an index; see the store contract suite).
export interface FloorStore {
  listMilestonesSince(since: number): Promise<Milestones[]>;
}

// And the customers' ratings given since a time (the closure store).
export interface FloorRatings {
  ratingsSince(since: number): Promise<RatingRecord[]>;
}

// One live interaction as the supervisor's list shows it: who, what state, which media are up and
// since when (the page counts the durations on from these times).
export interface FloorRow {
  id: string;
  serviceId: string;
  agentId: string | null;
  customerName: string;
  state: InteractionState;
  // When the chat arrived, and when the current wait or conversation began.
  createdAt: number;
  chatSince: number;
  call: { state: CallLegState; since: number } | null;
  video: { state: 'requested' | 'active'; since: number } | null;
}

export function floorRow(rec: InteractionRecord): FloorRow {
  const leg = liveLeg(rec);
  const video = rec.video && isVideoOpen(rec.video) ? rec.video : null;
  return {
    id: rec.id,
    serviceId: rec.serviceId,
    agentId: rec.agentId ?? rec.offeredTo,
    customerName: rec.customer.name,
    state: rec.state,
    createdAt: rec.createdAt,
    chatSince: rec.state === 'active' ? (rec.heldSince ?? rec.acceptedAt ?? rec.createdAt) : waitingSince(rec),
    call: leg ? { state: leg.state, since: leg.answeredAt ?? leg.startedAt } : null,
    video: video ? { state: video.state as 'requested' | 'active', since: video.startedAt ?? video.requestedAt } : null,
  };
}

// Waiting chats first (oldest first), then the ones in progress, oldest first.
export function floorRows(open: Iterable<InteractionRecord>): FloorRow[] {
  const rank = (r: FloorRow) => (r.state === 'active' ? 1 : 0);
  return [...open].map(floorRow).sort((a, b) => rank(a) - rank(b) || a.createdAt - b.createdAt);
}

// The open interactions and any one by id (the registry, Interactions).
export interface FloorRegistry {
  all(): InteractionRecord[];
  find(interactionId: string): Promise<InteractionRecord | undefined>;
}

// What supervisors read: every live interaction, any interaction by id, and the wallboard. The
// wallboard's read model holds the milestones of every interaction since the chart's first hour and
// the ratings given since then, read from the store once, then kept up to date from the domain's
// events (on a cluster's follower, the replica's), so a wallboard costs one pass over today's
// interactions in memory, never a query.
export class Floor {
  readonly #store: FloorStore;
  readonly #ratingStore: FloorRatings;
  readonly #clock: Clock;
  // The center's time zone (TIME_ZONE): "today" and the chart's hours are its.
  readonly #zone: string;
  readonly #registry: FloorRegistry;
  readonly #seen = new Map<string, Milestones>();
  readonly #ratings = new Map<string, RatingRecord>();
  #loaded: Promise<void> | undefined;
  // Bumped when the model is forgotten: a read begun before lands nowhere.
  #generation = 0;
  // The window moves on the hour: the next time the model is pruned.
  #nextPrune = 0;

  constructor(deps: { store: FloorStore; ratings: FloorRatings; events: DomainEvents; clock: Clock; timeZone: string; registry: FloorRegistry }) {
    this.#store = deps.store;
    this.#ratingStore = deps.ratings;
    this.#clock = deps.clock;
    this.#zone = deps.timeZone;
    this.#registry = deps.registry;
    deps.events.subscribe((event) => {
      // A follower missed wake-ups: what opened and ended meanwhile is only in the store.
      if (event.type === 'replica_resynced') return this.#forget();
      // Until someone opens the floor, the store has it all: nothing is kept here.
      if (this.#loaded === undefined) return;
      if (event.type === 'interaction_changed' || (event.type === 'entry_appended' && event.entry.kind === 'call')) {
        this.#seen.set(event.interaction.id, milestonesOf(event.interaction));
      }
      if (event.type === 'entry_appended' && event.entry.kind === 'rating') this.#ratings.set(event.interaction.id, ratingOf(event.interaction, event.entry));
      // Here, not only when a page asks: a node nobody watches still hears every event.
      if (this.#clock.now() >= this.#nextPrune) this.#prune(this.#window(this.#clock.now()));
    });
  }

  // Read again from the store on next use; a read under way is dropped.
  #forget(): void {
    this.#generation += 1;
    this.#loaded = undefined;
    this.#seen.clear();
    this.#ratings.clear();
  }

  // Yesterday's interactions and ratings leave as the window moves on (it moves on the hour); open
  // interactions stay whatever their age.
  #prune(window: FloorWindow): void {
    for (const [id, m] of this.#seen) if (m.endedAt !== null && m.endedAt < window.since && m.createdAt < window.since) this.#seen.delete(id);
    for (const [id, r] of this.#ratings) if (r.ratedAt < window.since) this.#ratings.delete(id);
    this.#nextPrune = window.hourStart + HOUR_MS;
  }

  // What this node holds: interactions and ratings.
  get held(): { interactions: number; ratings: number } {
    return { interactions: this.#seen.size, ratings: this.#ratings.size };
  }

  // A catch-up may drop the model while it is read: read again until a read lands.
  async #ready(): Promise<void> {
    for (let generation = -1; generation !== this.#generation; ) {
      generation = this.#generation;
      await this.#load();
    }
  }

  // Read once, on first use: a node nobody supervises never reads it. What events brought in the
  // meantime is newer than the store's rows and wins.
  #load(): Promise<void> {
    if (this.#loaded) return this.#loaded;
    const since = this.#window(this.#clock.now()).since;
    const generation = this.#generation;
    const loaded = Promise.all([this.#store.listMilestonesSince(since), this.#ratingStore.ratingsSince(since)]).then(([rows, ratings]) => {
      if (generation !== this.#generation) return;
      for (const m of rows) if (!this.#seen.has(m.id)) this.#seen.set(m.id, m);
      for (const r of ratings) if (!this.#ratings.has(r.interactionId)) this.#ratings.set(r.interactionId, r);
    });
    // A failed read starts again from nothing: what events brought meanwhile stopped coming with it, and
    // kept, would win over the next read's rows for good (a chat shown waiting long after it was taken).
    loaded.catch(() => {
      if (this.#loaded === loaded) this.#forget();
    });
    this.#loaded = loaded;
    return loaded;
  }

  // Each service's average rating today (customers' scores since midnight).
  async ratingAverages(): Promise<Map<string, { average: number; count: number }>> {
    await this.#ready();
    const window = this.#window(this.#clock.now());
    this.#prune(window);
    const { dayStart } = window;
    return averages([...this.#ratings.values()].filter((r) => r.ratedAt >= dayStart));
  }

  now(): number {
    return this.#clock.now();
  }

  #window(now: number) {
    return floorWindow(now, this.#zone);
  }

  live(): FloorRow[] {
    return floorRows(this.#registry.all());
  }

  // Supervisors may open any interaction, open or ended.
  find(interactionId: string): Promise<InteractionRecord | undefined> {
    return this.#registry.find(interactionId);
  }

  // The open interactions are taken as the registry has them now (one opened before the window and
  // still waiting is only there).
  async figures(services: ReadonlyArray<{ id: string; serviceLevelSeconds?: number }>, agents: Iterable<FloorAgent>): Promise<ServiceFigures[]> {
    await this.#ready();
    for (const rec of this.#registry.all()) this.#seen.set(rec.id, milestonesOf(rec));
    const now = this.#clock.now();
    const window = this.#window(now);
    this.#prune(window);
    return serviceFigures({ now, window, services, interactions: this.#seen.values(), agents });
  }
}

// The rating entry (rating.ts) carries the score; the interaction, its service.
function ratingOf(rec: InteractionRecord, entry: TimelineEntry): RatingRecord {
  return { interactionId: rec.id, serviceId: rec.serviceId, score: Number(entry.data?.score), comment: entry.text, ratedAt: entry.createdAt };
}

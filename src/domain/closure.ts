import { AfterCallWork, type PresenceControl } from './after-call-work.ts';
import type { ClosedInteraction, ClosedQuery, ClosureStore, RatingRecord, WrapUpRecord } from './closure-ports.ts';
import type { Service } from './directory.ts';
import type { DomainEvent } from './events.ts';
import type { Interactions } from './interactions.ts';
import type { Clock, Directory, Timers } from './ports.ts';
import { Ratings } from './rating.ts';
import type { WrapUpForm } from './wrap-up.ts';

export interface ClosureDeps {
  interactions: Interactions;
  closures: ClosureStore;
  directory: Directory;
  clock: Clock;
  timers: Timers;
  presence: PresenceControl;
}

// How interactions close: the agent's wrap-up (after-call-work.ts) and the customer's rating
// (rating.ts), and what the pages read of both. The commands run where the rules run (the leader:
// web/cluster/commands.ts); the reads run on any node.
export class Closure {
  readonly #afterWork: AfterCallWork;
  readonly #ratings: Ratings;
  readonly #closures: ClosureStore;
  readonly #interactions: Interactions;

  constructor(deps: ClosureDeps) {
    const closing = deps.interactions.closing;
    this.#closures = deps.closures;
    this.#interactions = deps.interactions;
    this.#afterWork = new AfterCallWork({ ...deps, closing });
    this.#ratings = new Ratings({ ...deps, closing });
  }

  // The rules' events, on the node that runs the rules.
  onEvent(event: DomainEvent): void {
    this.#afterWork.onEvent(event);
  }

  // Services added or changed (and at start, on the leader): their wrap-up settings.
  servicesChanged(services: readonly Service[]): void {
    this.#afterWork.servicesChanged(services);
  }

  // At start on the leader, once services are known: the wrap-ups in progress go on.
  recover(): Promise<void> {
    return this.#afterWork.recover();
  }

  // ---- commands ----

  wrapUp(agentId: string, interactionId: string, form: WrapUpForm): Promise<WrapUpRecord> {
    return this.#afterWork.done(agentId, interactionId, form);
  }

  rate(interactionId: string, score: unknown, comment?: unknown): Promise<RatingRecord> {
    return this.#ratings.rate(interactionId, score, comment);
  }

  // Held by the leader (a wrap-up's time runs there): asked of it.
  async awaitingWrapUp(agentId: string): Promise<string[]> {
    return this.#afterWork.awaiting(agentId);
  }

  // ---- reads ----

  wrapUpOf(interactionId: string): Promise<WrapUpRecord | undefined> {
    return this.#closures.getWrapUp(interactionId);
  }

  ratingOf(interactionId: string): Promise<RatingRecord | undefined> {
    return this.#ratings.rating(interactionId);
  }

  ratingAveragesSince(since: number): Promise<Map<string, { average: number; count: number }>> {
    return this.#ratings.averagesSince(since);
  }

  // With every agent who worked each (a transfer's first agent too).
  async listClosed(query: ClosedQuery): Promise<ClosedInteraction[]> {
    const closed = await this.#closures.listClosed(query);
    const workedBy = await this.#interactions.workedByEach(closed.map((c) => c.interaction.id));
    return closed.map((c) => ({ ...c, workedBy: workedBy.get(c.interaction.id) ?? [] }));
  }
}

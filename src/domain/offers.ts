import { applyPresence, toNotReady, type AgentState } from './agent-presence.ts';
import type { ContactCenterDeps } from './contact-center-types.ts';
import { transition, type InteractionRecord } from './interaction.ts';
import type { Interactions } from './interactions.ts';
import { chooseAgent } from './routing.ts';

export interface OffersDeps {
  open: Interactions;
  agents: ReadonlyMap<string, AgentState>;
  center: Pick<ContactCenterDeps, 'timers' | 'clock' | 'config' | 'events'>;
  // The agent's presence changed here (an offer let ring out): heard and stored, a failure reported.
  presenceChanged(agent: AgentState): Promise<void>;
  // Writes started from timers have no caller to answer: a failure is reported, never rejected.
  persist(write: Promise<unknown>): Promise<void>;
}

// Queued chats offered to agents: each rings on one Ready agent's desktop until it is accepted or
// lapses. A lapsed offer goes back to the queue, and the agent who let it ring is made Not Ready so the
// chat reaches someone who is actually there (redirect on no answer).
export class Offers {
  readonly #d: OffersDeps;
  readonly #timers = new Map<string, { cancel(): void }>();

  constructor(deps: OffersDeps) {
    this.#d = deps;
  }

  // Offers each queued chat, oldest first, to the best Ready agent of its service.
  dispatch(): void {
    const queued = this.#d.open.all().filter((r) => r.state === 'queued').sort((a, b) => a.createdAt - b.createdAt);
    for (const rec of queued) {
      const agent = chooseAgent(rec.serviceId, this.#d.agents.values(), this.#d.center.config.maxChatsPerAgent);
      if (agent) this.#offer(rec, agent);
    }
  }

  expire(interactionId: string): void {
    const rec = this.#d.open.get(interactionId);
    if (!rec || rec.state !== 'offered' || !rec.offeredTo) return;
    const agent = this.#d.agents.get(rec.offeredTo);
    if (!agent) return;
    transition(rec, 'offer_timeout');
    this.clear(rec, agent);
    applyPresence(agent, toNotReady(agent.presence), this.#d.center.clock.now());
    void this.#d.presenceChanged(agent);
    this.#d.center.events.emit({ type: 'interaction_changed', interaction: rec, previousOfferedTo: agent.agentId });
    void this.#d.persist(this.#d.open.append(rec, { kind: 'offer_expired', author: 'system', agentId: agent.agentId }));
    this.dispatch();
  }

  clear(rec: InteractionRecord, agent: AgentState | undefined): void {
    this.#timers.get(rec.id)?.cancel();
    this.#timers.delete(rec.id);
    if (agent && agent.pendingOffer === rec.id) agent.pendingOffer = null;
    rec.offeredTo = null;
    rec.offeredAt = null;
  }

  shutdown(): void {
    for (const timer of this.#timers.values()) timer.cancel();
    this.#timers.clear();
  }

  // The offer rings on the agent's desktop until it is accepted or lapses.
  #offer(rec: InteractionRecord, agent: AgentState): void {
    transition(rec, 'offer');
    rec.offeredTo = agent.agentId;
    rec.offeredAt = this.#d.center.clock.now();
    agent.pendingOffer = rec.id;
    this.#timers.set(rec.id, this.#d.center.timers.schedule(this.#d.center.config.offerTimeoutMs, () => this.expire(rec.id)));
    this.#d.center.events.emit({ type: 'interaction_changed', interaction: rec, previousOfferedTo: null });
    void this.#d.persist(this.#d.open.append(rec, { kind: 'offered', author: 'system', agentId: agent.agentId }));
  }
}

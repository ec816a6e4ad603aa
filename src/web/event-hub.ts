import type { DomainEvent, DomainEvents } from '../domain/events.ts';

type Listener = (event: DomainEvent) => void;

// Fans domain events out to sockets by interaction and by agent, so one message costs a map lookup,
// not a scan of every connected page.
export class EventHub {
  readonly #byInteraction = new Map<string, Set<Listener>>();
  readonly #byAgent = new Map<string, Set<Listener>>();
  // The supervisors' floor, which hears every interaction and every agent.
  readonly #everything = new Set<Listener>();
  // Desktops, whose Transfer to lists the Ready agents: every agent's presence.
  readonly #presence = new Set<Listener>();

  constructor(events: DomainEvents) {
    events.subscribe((event) => this.route(event));
  }

  onInteraction(interactionId: string, listener: Listener): () => void {
    return add(this.#byInteraction, interactionId, listener);
  }

  onAgent(agentId: string, listener: Listener): () => void {
    return add(this.#byAgent, agentId, listener);
  }

  onPresence(listener: Listener): () => void {
    this.#presence.add(listener);
    return () => this.#presence.delete(listener);
  }

  onEvery(listener: Listener): () => void {
    this.#everything.add(listener);
    return () => this.#everything.delete(listener);
  }

  private route(event: DomainEvent): void {
    if (event.type === 'store_failed') return;
    this.deliver(this.#everything, event);
    // Their effects arrive as their own events (the floor's feed hears a resync, above).
    if (event.type === 'agent_disabled' || event.type === 'agent_logged_out' || event.type === 'replica_resynced') return;
    if (event.type === 'presence_changed') {
      this.deliver(this.#presence, event);
      return this.deliver(this.#byAgent.get(event.agent.agentId), event);
    }
    if (event.type === 'telephony_changed') {
      for (const listeners of [...this.#byAgent.values(), ...this.#byInteraction.values()]) this.deliver(listeners, event);
      return;
    }
    const rec = event.interaction;
    this.deliver(this.#byInteraction.get(rec.id), event);
    // Each agent concerned hears it once, even when they are both the owner and the one offered to.
    const { agentId, offeredTo } = rec;
    const previous = event.type === 'interaction_changed' ? event.previousOfferedTo : null;
    if (agentId) this.deliver(this.#byAgent.get(agentId), event);
    if (offeredTo && offeredTo !== agentId) this.deliver(this.#byAgent.get(offeredTo), event);
    if (previous && previous !== agentId && previous !== offeredTo) this.deliver(this.#byAgent.get(previous), event);
  }

  private deliver(listeners: Set<Listener> | undefined, event: DomainEvent): void {
    if (listeners) for (const listener of listeners) listener(event);
  }
}

function add(map: Map<string, Set<Listener>>, key: string, listener: Listener): () => void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(listener);
  return () => {
    set.delete(listener);
    if (set.size === 0) map.delete(key);
  };
}

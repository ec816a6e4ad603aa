import type { AgentState, Presence } from './agent-presence.ts';

// Who may get an offer, by presence: an agent in wrap-up (after-call work) gets none until Done or its
// wrap-up time runs out (wrap-up.ts).
const TAKES_OFFERS: Readonly<Record<Presence, boolean>> = { ready: true, not_ready: false, wrap_up: false };

// Picks who gets the next offer of a service: a Ready agent serving it, with no offer pending and
// room for one more chat; the least loaded first, and among equals the one idle the longest.
export function chooseAgent(serviceId: string, agents: Iterable<AgentState>, maxChatsPerAgent: number): AgentState | undefined {
  let best: AgentState | undefined;
  for (const agent of agents) {
    if (!TAKES_OFFERS[agent.presence] || agent.pendingOffer !== null) continue;
    if (!agent.serviceIds.includes(serviceId) || agent.interactions.size >= maxChatsPerAgent) continue;
    if (best === undefined || isBetter(agent, best)) best = agent;
  }
  return best;
}

function isBetter(a: AgentState, b: AgentState): boolean {
  if (a.interactions.size !== b.interactions.size) return a.interactions.size < b.interactions.size;
  if (a.idleSince !== b.idleSince) return a.idleSince < b.idleSince;
  return a.agentId < b.agentId;
}

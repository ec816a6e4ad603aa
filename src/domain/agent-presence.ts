import type { Agent } from './directory.ts';
import { nextState, type StateTable } from './state-table.ts';

// wrap_up: after-call work (wrap-up.ts). The agent records how an interaction ended and gets no offers
// until Done, or until the service's wrap-up time runs out (resume_ready / resume_not_ready).
export type Presence = 'not_ready' | 'ready' | 'wrap_up';
export type PresenceEvent = 'make_ready' | 'make_not_ready' | 'start_wrap_up' | 'resume_ready' | 'resume_not_ready' | 'log_out';

// Ready and Not Ready are allowed from both: clicking twice is harmless. Both are refused during
// wrap-up: it ends with Done or its time (resume_*), so no Ready slips in before Done; the rules that
// force Not Ready (toNotReady below) resume the agent Not Ready. Logging out leaves the agent Not
// Ready from any state, wrap-up included: its Done still records the disposition later.
export const PRESENCE_STATES: StateTable<Presence, PresenceEvent> = {
  not_ready: { make_ready: 'ready', make_not_ready: 'not_ready', start_wrap_up: 'wrap_up', log_out: 'not_ready' },
  ready: { make_ready: 'ready', make_not_ready: 'not_ready', start_wrap_up: 'wrap_up', log_out: 'not_ready' },
  wrap_up: { start_wrap_up: 'wrap_up', resume_ready: 'ready', resume_not_ready: 'not_ready', log_out: 'not_ready' },
};

export const PRESENCE_LABELS: Readonly<Record<Presence, string>> = { ready: 'Ready', not_ready: 'Not Ready', wrap_up: 'Wrap-up' };

export interface AgentState {
  agentId: string;
  serviceIds: string[];
  presence: Presence;
  // When the agent last became free for new work: "longest idle first" orders by this.
  idleSince: number;
  interactions: Set<string>;
  pendingOffer: string | null;
}

// An agent as routing first knows it: Not Ready, serving its services unless disabled.
export function newAgentState(agent: Agent, now: number): AgentState {
  return { agentId: agent.id, serviceIds: agent.disabled ? [] : agent.serviceIds, presence: 'not_ready', idleSince: now, interactions: new Set(), pendingOffer: null };
}

export function applyPresence(agent: AgentState, event: PresenceEvent, now: number): void {
  const before = agent.presence;
  agent.presence = nextState(PRESENCE_STATES, 'agent', agent.presence, event);
  if (before !== 'ready' && agent.presence === 'ready') agent.idleSince = now;
}

// Not Ready forced by the rules (an offer left ringing, a disabled agent): from wrap-up too.
export const toNotReady = (presence: Presence): PresenceEvent => (presence === 'wrap_up' ? 'resume_not_ready' : 'make_not_ready');

// An agent this node has not heard of yet is Not Ready, as every new agent is: a node that does not
// lead hears of a new agent's presence by NOTIFY, a moment after the login that stored it, and the
// desktop that login opens may be drawn there first.
export const presenceOf = (agents: readonly AgentState[], agentId: string): Presence => agents.find((a) => a.agentId === agentId)?.presence ?? 'not_ready';


import { nextState, type StateTable } from './state-table.ts';

export type Presence = 'not_ready' | 'ready';
export type PresenceEvent = 'make_ready' | 'make_not_ready';

// Both events are allowed from both states: clicking Ready twice is harmless.
export const PRESENCE_STATES: StateTable<Presence, PresenceEvent> = {
  not_ready: { make_ready: 'ready', make_not_ready: 'not_ready' },
  ready: { make_ready: 'ready', make_not_ready: 'not_ready' },
};

export interface AgentState {
  agentId: string;
  serviceIds: string[];
  presence: Presence;
  // When the agent last became free for new work: "longest idle first" orders by this.
  idleSince: number;
  interactions: Set<string>;
  pendingOffer: string | null;
}

export function applyPresence(agent: AgentState, event: PresenceEvent, now: number): void {
  const before = agent.presence;
  agent.presence = nextState(PRESENCE_STATES, 'agent', agent.presence, event);
  if (before !== 'ready' && agent.presence === 'ready') agent.idleSince = now;
}

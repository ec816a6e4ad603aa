import { nextState, type StateTable } from './state-table.ts';

// Handing an interaction on to another agent. A transfer (cold) is offered to its target, which
// accepts it, or lets it ring until the offer times out (it returns to the first agent), or the first
// agent or the customer's end cancels it. A consult (warm) has the two agents talk first; it is
// completed (handed over) or cancelled (the customer comes back). No handoff at all is "none": the
// interaction holds a handoff only while one is in progress.
export type HandoffKind = 'transfer' | 'consult';
export type HandoffState = 'offered' | 'accepted' | 'returned' | 'cancelled' | 'consulting' | 'completed';
export type HandoffEvent = 'accept' | 'time_out' | 'cancel' | 'complete';
export type HandoffStart = Extract<HandoffState, 'offered' | 'consulting'>;

export const HANDOFF_STATES: StateTable<HandoffState, HandoffEvent> = {
  offered: { accept: 'accepted', time_out: 'returned', cancel: 'cancelled' },
  consulting: { complete: 'completed', cancel: 'cancelled' },
  accepted: {},
  returned: {},
  cancelled: {},
  completed: {},
};

export const HANDOFF_START: Readonly<Record<HandoffKind, HandoffStart>> = { transfer: 'offered', consult: 'consulting' };

// Where a transfer goes: an agent named by the first agent, or a service (routing picks its agent).
export type HandoffTarget = { kind: 'agent'; agentId: string } | { kind: 'service'; serviceId: string };

export interface Handoff {
  kind: HandoffKind;
  state: HandoffState;
  fromAgentId: string;
  toAgentId: string;
  // Set when the first agent chose a service rather than an agent.
  toServiceId: string | null;
  note: string | null;
  startedAt: number;
  // Display names, written on the timeline with each step so history reads without a lookup.
  fromName?: string;
  toName?: string;
}

export function isInProgress(handoff: Handoff | null | undefined): handoff is Handoff {
  return handoff !== null && handoff !== undefined && (handoff.state === 'offered' || handoff.state === 'consulting');
}

export function applyHandoffEvent(handoff: Handoff, event: HandoffEvent): void {
  handoff.state = nextState(HANDOFF_STATES, 'handoff', handoff.state, event);
}

export const HANDOFF_NOTE_MAX = 500;

// The consult's own call: the first agent's phone rings the target's while the customer hears music;
// once the target answers, the two agents talk. It ends by Complete transfer (the target keeps the
// call), Cancel transfer, or the target's phone going away; the call leg then forgets it.
export type ConsultCallState = 'ringing' | 'talking';
export const CONSULT_CALL_STATES: StateTable<ConsultCallState, 'answer'> = {
  ringing: { answer: 'talking' },
  talking: {},
};

export interface ConsultCall {
  agentId: string;
  // Written with the call leg on the timeline, so its steps read "Consulting Agent Two" without a lookup.
  agentName?: string;
  // The channel turn the target's phone will have once the call moves to it (as a transfer's).
  turn: number;
  state: ConsultCallState;
}

// What the telephony tells of a consult call, as it happens.
export interface ConsultCallEvents {
  answered(): void;
  // The target's phone hung up, rejected or did not answer: the customer is back with the first agent.
  ended(cause: string): void;
  // The customer's call itself ended (its own events follow): the consult went with it.
  callEnded(cause: string): void;
}

import { conflict } from './errors.ts';
import type { ConsultCall } from './handoff.ts';
import type { CallRecording } from './recording.ts';
import { canApply, nextState, type StateTable } from './state-table.ts';
import type { Supervision } from './supervision.ts';

// One call from the agent to the customer inside a chat interaction. The controller first rings the
// agent's endpoint, then dials the customer over the trunk and bridges both.
export type CallLegState = 'dialing_agent' | 'dialing_customer' | 'ringing' | 'connected' | 'on_hold' | 'released' | 'failed';
export type CallLegEvent =
  | 'agent_answered'
  | 'customer_ringing'
  | 'customer_answered'
  | 'hold'
  | 'unhold'
  | 'release' // the agent hangs up (Release call, End session)
  | 'customer_hangup'
  | 'agent_hangup'
  | 'fail'; // busy, no answer, invalid number, trunk down, agent unreachable

export const CALL_LEG_STATES: StateTable<CallLegState, CallLegEvent> = {
  dialing_agent: { agent_answered: 'dialing_customer', release: 'released', agent_hangup: 'failed', fail: 'failed' },
  dialing_customer: { customer_ringing: 'ringing', customer_answered: 'connected', release: 'released', agent_hangup: 'released', customer_hangup: 'failed', fail: 'failed' },
  ringing: { customer_answered: 'connected', release: 'released', agent_hangup: 'released', customer_hangup: 'failed', fail: 'failed' },
  connected: { hold: 'on_hold', release: 'released', customer_hangup: 'released', agent_hangup: 'released', fail: 'released' },
  on_hold: { unhold: 'connected', release: 'released', customer_hangup: 'released', agent_hangup: 'released', fail: 'released' },
  released: {},
  failed: {},
};

export type MuteState = 'unmuted' | 'muted';
export const MUTE_STATES: StateTable<MuteState, 'mute' | 'unmute'> = {
  unmuted: { mute: 'muted', unmute: 'unmuted' },
  muted: { mute: 'muted', unmute: 'unmuted' },
};

export interface CallLeg {
  id: string;
  interactionId: string;
  serviceId: string;
  agentId: string;
  customerNumber: string;
  state: CallLegState;
  mute: MuteState;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  cause: string | null;
  // How many times the call moved to another agent with its chat (a transfer); absent before the first.
  agentTurn?: number;
  // The last turn given to a new agent's phone (a transfer's or a consult's, answered or not): each
  // ring has a channel name of its own, never one that may still be going away.
  lastTurn?: number;
  // When the service records calls (recording.ts); kept with the leg, so a new leader finishes it.
  recording?: CallRecording | null;
  // Supervisors who joined this call (supervision.ts), oldest first; absent on calls no one supervised.
  supervisions?: Supervision[];
  // A consult in progress from this call (handoff.ts): the customer is on hold meanwhile.
  consult?: ConsultCall | null;
}

export function isLive(leg: CallLeg): boolean {
  return leg.state !== 'released' && leg.state !== 'failed';
}

export function applyCallEvent(leg: CallLeg, event: CallLegEvent, now: number, cause?: string): void {
  leg.state = nextState(CALL_LEG_STATES, 'call', leg.state, event);
  if (leg.state === 'connected' && leg.answeredAt === null) leg.answeredAt = now;
  if (!isLive(leg)) {
    leg.endedAt = now;
    leg.cause = cause ?? defaultCause(event);
  }
}

function defaultCause(event: CallLegEvent): string {
  switch (event) {
    case 'release':
      return 'released by agent';
    case 'customer_hangup':
      return 'customer hung up';
    case 'agent_hangup':
      return 'agent hung up';
    default:
      return 'failed';
  }
}

// The turn of the next agent phone rung for this call (see lastTurn).
export function nextTurn(leg: CallLeg): number {
  leg.lastTurn = Math.max(leg.lastTurn ?? 0, leg.agentTurn ?? 0) + 1;
  return leg.lastTurn;
}

export function canApplyCallEvent(leg: CallLeg, event: CallLegEvent): boolean {
  return canApply(CALL_LEG_STATES, leg.state, event);
}

export function applyMuteEvent(leg: CallLeg, event: 'mute' | 'unmute'): void {
  if (!isLive(leg)) throw conflictOnEndedCall();
  leg.mute = nextState(MUTE_STATES, 'microphone', leg.mute, event);
}

function conflictOnEndedCall() {
  return conflict('call_ended', 'The call has ended.');
}

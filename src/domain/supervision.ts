import { canApply, nextState, type StateTable } from './state-table.ts';

// A supervisor on a call in progress: their phone is rung (joining), then they listen to agent and
// customer (nobody hears them), whisper to the agent (the customer does not hear them), or barge in
// (all three talk), and change between these without being called again; Stop, their hanging up, or
// the end of the call ends it. It lives on its call leg (CallLeg.supervisions), so it is stored,
// replicated and reconciled with the call.
export type SupervisionState = 'joining' | 'listening' | 'whispering' | 'barging' | 'ended';
export type SupervisionMode = 'listen' | 'whisper' | 'barge';
export type SupervisionEvent =
  | SupervisionMode
  | 'answered' // the supervisor's phone answered
  | 'stop' // the supervisor's Stop
  | 'hangup' // the supervisor hung up their phone
  | 'call_ended' // the call they were on ended
  | 'handover' // the call is being handed to another agent's phone (Accept, Complete transfer)
  | 'fail'; // their phone did not answer, or Asterisk refused

// A handover takes every supervisor off the call. The guards let one start only while no supervisor
// is heard (guards.ts), so it ends silent monitoring; a mode change that landed meanwhile ends too.
const LEAVE = { stop: 'ended', hangup: 'ended', call_ended: 'ended', handover: 'ended', fail: 'ended' } as const;

export const SUPERVISION_STATES: StateTable<SupervisionState, SupervisionEvent> = {
  joining: { answered: 'listening', ...LEAVE },
  listening: { whisper: 'whispering', barge: 'barging', ...LEAVE },
  whispering: { listen: 'listening', barge: 'barging', ...LEAVE },
  barging: { listen: 'listening', whisper: 'whispering', ...LEAVE },
  ended: {},
};

// The mode each state is in (the one a phone that just answered starts in: Listen).
export const MODE_OF: Readonly<Record<Exclude<SupervisionState, 'ended'>, SupervisionMode>> = {
  joining: 'listen',
  listening: 'listen',
  whispering: 'whisper',
  barging: 'barge',
};

export interface Supervision {
  id: string;
  supervisorId: string;
  state: SupervisionState;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  cause: string | null;
}

export function isSupervising(s: Supervision): boolean {
  return s.state !== 'ended';
}

export function applySupervisionEvent(s: Supervision, event: SupervisionEvent, now: number, cause?: string): void {
  s.state = nextState(SUPERVISION_STATES, 'supervision', s.state, event);
  if (event === 'answered') s.answeredAt = now;
  if (s.state === 'ended') {
    s.endedAt = now;
    s.cause = cause ?? LEFT_BECAUSE[event] ?? 'ended';
  }
}

export function canApplySupervisionEvent(s: Supervision, event: SupervisionEvent): boolean {
  return canApply(SUPERVISION_STATES, s.state, event);
}

const LEFT_BECAUSE: Partial<Record<SupervisionEvent, string>> = {
  stop: 'stopped by the supervisor',
  hangup: 'the supervisor hung up',
  call_ended: 'the call ended',
  handover: 'the call was being handed over to another agent',
  fail: "the supervisor's phone did not answer",
};

// Whether the agent hears the supervisor now: the one moment the agent is told a supervisor is there.
// Silent monitoring (joining, listening) stays silent; what the agent hears is never hidden from them.
export function agentHearsSupervisor(state: SupervisionState): boolean {
  return state === 'whispering' || state === 'barging';
}

// The words of the timeline and the pages.
export const SUPERVISION_LABEL: Readonly<Record<SupervisionState, string>> = {
  joining: 'calling the supervisor’s phone',
  listening: 'listening',
  whispering: 'whispering to the agent (the customer does not hear)',
  barging: 'talking with agent and customer',
  ended: 'left the call',
};

// The telephony's side of supervision (implemented over ARI snoop channels and bridges). Progress of
// a supervisor's phone comes back through SupervisionDesk.onSupervisionEvent.
export interface SupervisionRequest {
  supervisionId: string;
  legId: string;
  interactionId: string;
  supervisorId: string;
}

export interface CallSupervision {
  // Rings the supervisor's phone; once it answers they listen (reported as 'answered').
  join(request: SupervisionRequest): Promise<void>;
  // The same phone call, another mode: nothing is dialled again.
  setMode(supervisionId: string, mode: SupervisionMode): Promise<void>;
  // Idempotent: hangs up the supervisor's phone and whatever listened for it.
  leave(supervisionId: string): Promise<void>;
}

export type SupervisionReport = 'answered' | 'hangup' | 'call_ended' | 'fail';

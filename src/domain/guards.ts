import { CALL_LEG_STATES, MUTE_STATES } from './call-leg.ts';
import type { AgentState } from './agent-presence.ts';
import type { Service } from './directory.ts';
import { conflict, forbidden, notFound, unavailable, type DomainError } from './errors.ts';
import type { ConsultCall, HandoffTarget } from './handoff.ts';
import { INTERACTION_STATES, liveLeg, type InteractionRecord } from './interaction.ts';
import { RECORDING_STATES } from './recording.ts';
import { refusalOf } from './state-table.ts';
import { agentHearsSupervisor, isSupervising, SUPERVISION_STATES, type Supervision, type SupervisionMode } from './supervision.ts';
import { VIDEO_STATES, type VideoEvent } from './video-session.ts';

// The guard table of an interaction: for every action an agent or the customer may try, null when it
// is allowed now, or the refusal (code and reason) when it is not. Commands assert it before they act;
// pages and the API read it to show a control disabled with its reason. Every rule between the chat,
// its calls and its video is decided here, once; the state tables (interaction.ts, call-leg.ts,
// video-session.ts) decide the rest.

// What this server offers beyond chat (MultimediaDesk knows).
export interface MediaCapabilities {
  callingConfigured: boolean;
  videoConfigured: boolean;
  // Calling is configured but the telephony is away for now (Asterisk restarting, ARI unreachable).
  telephonyAway?: boolean;
}

export type Verdict = DomainError | null;

export type AgentAction =
  | 'accept'
  | 'post_message'
  | 'call'
  | 'release_call'
  | 'hold'
  | 'unhold'
  | 'mute'
  | 'unmute'
  | 'pause_recording'
  | 'resume_recording'
  | 'allow_video'
  | 'decline_video'
  | 'video_signal'
  | 'disconnect_chat'
  | 'end_session';

// What a supervisor (or admin) may do on a call in progress: join it (Listen), change mode, leave.
export type SupervisorAction = SupervisionMode | 'stop';

export type CustomerAction = 'post_message' | 'send_photo' | 'update_context' | 'end_chat' | 'request_video' | 'close_video' | 'video_signal' | 'use_phone';

interface Scene {
  rec: InteractionRecord;
  // null for the customer.
  agentId: string | null;
  media: MediaCapabilities;
}

type Guard = (s: Scene) => Verdict;

// Refusals that also answer outside this table (an interaction that is no longer open, a softphone
// asked for on a server without calling).
export const chatEnded = () => conflict('chat_ended', 'This chat has ended.');
export const callingNotConfigured = () => unavailable('calling_not_configured', 'Calling is not configured on this server.');
// Also the notice pages show while the telephony is away: the one place its words are written.
export const telephonyUnavailable = () => unavailable('telephony_unavailable', 'Telephony is unavailable: calls can be made again as soon as it is back.');

const VIDEO_RUNS = 'Video is running: only the customer can close it. Use End session to end everything.';

// The first refusal wins: the order of the checks is the order in which a user is told why.
const all =
  <S,>(...guards: Array<(s: S) => Verdict>) =>
  (s: S): Verdict => {
    for (const guard of guards) {
      const refusal = guard(s);
      if (refusal) return refusal;
    }
    return null;
  };

const open = ({ rec }: { rec: InteractionRecord }): Verdict => (rec.state === 'ended' ? chatEnded() : null);
const handling: Guard = all<Scene>(open, ({ rec, agentId }) =>
  rec.agentId === agentId && rec.state === 'active' ? null : forbidden('not_your_chat', 'Accept this chat first: only the agent handling it can do this.'),
);
const offeredToYou: Guard = ({ rec, agentId }) =>
  rec.offeredTo === agentId ? refusalOf(INTERACTION_STATES, 'interaction', rec.state, 'accept') : forbidden('not_offered_to_you', 'This chat is not offered to you.');

const calling: Guard = ({ media }) => (media.callingConfigured ? null : callingNotConfigured());
// Only what needs Asterisk now: a release or an End session still goes through (nothing is left up).
const telephonyUp: Guard = ({ media }) => (media.telephonyAway ? telephonyUnavailable() : null);
const noCallYet: Guard = ({ rec }) => (liveLeg(rec) ? conflict('call_in_progress', 'A call is already up in this chat.') : null);
// The chat is the primary component: the call is released first, then the chat disconnected.
const callReleased: Guard = ({ rec }) => (liveLeg(rec) ? conflict('call_in_progress', 'Release the call first, then disconnect the chat.') : null);
const callUp: Guard = ({ rec }) => (liveLeg(rec) ? null : conflict('no_call', 'There is no call up in this chat.'));
// After callUp: the live leg exists.
const legAccepts =
  (event: 'hold' | 'unhold'): Guard =>
  ({ rec }) =>
    refusalOf(CALL_LEG_STATES, 'call', liveLeg(rec)!.state, event);
const micAccepts =
  (event: 'mute' | 'unmute'): Guard =>
  ({ rec }) => {
    const leg = liveLeg(rec)!;
    if (leg.state !== 'connected' && leg.state !== 'on_hold') return conflict('call_not_connected', 'The call is not connected yet.');
    return refusalOf(MUTE_STATES, 'microphone', leg.mute, event);
  };
// After callUp. Pause and Resume act on the live call's recording, when its service records calls.
const recordingAccepts =
  (event: 'pause' | 'resume'): Guard =>
  ({ rec }) => {
    const recording = liveLeg(rec)!.recording;
    return recording ? refusalOf(RECORDING_STATES, 'recording', recording.state, event) : conflict('not_recording', 'This call is not being recorded.');
  };

const rooms: Guard = ({ media }) => (media.videoConfigured ? null : unavailable('video_unavailable', 'Video is not available on this server.'));
// Once video runs only the customer closes it alone; the agent can only end the whole session.
const noVideoRunning: Guard = ({ rec }) => (rec.video?.state === 'active' ? conflict('video_active', VIDEO_RUNS) : null);
const videoAccepts =
  (event: VideoEvent): Guard =>
  ({ rec }) =>
    rec.video ? refusalOf(VIDEO_STATES, 'video', rec.video.state, event) : conflict('no_video', 'Video was not requested in this chat.');
const videoRunning: Guard = ({ rec, media }) =>
  rec.video?.state === 'active' && media.videoConfigured ? null : conflict('video_not_active', 'Video is not running in this chat.');

// An active interaction offered to someone is being transferred to them (routing offers only queued
// ones): told by what is stored, so every node of a cluster reads it the same way.
export function transferOfferedTo(rec: InteractionRecord): string | null {
  return rec.state === 'active' ? rec.offeredTo : null;
}

const noTransferYet: Guard = ({ rec }) => (transferOfferedTo(rec) ? conflict('handoff_in_progress', 'A transfer is already in progress in this chat.') : null);

// The consult in progress from this chat's call, if any (told by what is stored, as transfers are).
export function consultOf(rec: InteractionRecord): ConsultCall | null {
  return transferOfferedTo(rec) ? (liveLeg(rec)?.consult ?? null) : null;
}

// While the first agent consults, the customer's hold is the consult's: it ends with it.
const noConsult: Guard = ({ rec }) => (consultOf(rec) ? conflict('consult_in_progress', 'A consult is in progress: Complete transfer or Cancel transfer first.') : null);
const AGENT_GUARDS: Readonly<Record<AgentAction, Guard>> = {
  accept: all<Scene>(open, offeredToYou),
  post_message: handling,
  call: all(handling, noTransferYet, calling, telephonyUp, noCallYet),
  release_call: all(handling, noVideoRunning, callUp, noConsult, calling),
  hold: all(handling, callUp, noConsult, legAccepts('hold'), calling, telephonyUp),
  unhold: all(handling, callUp, noConsult, legAccepts('unhold'), calling, telephonyUp),
  mute: all(handling, callUp, micAccepts('mute'), calling, telephonyUp),
  unmute: all(handling, callUp, micAccepts('unmute'), calling, telephonyUp),
  pause_recording: all(handling, callUp, recordingAccepts('pause'), calling, telephonyUp),
  resume_recording: all(handling, callUp, recordingAccepts('resume'), calling, telephonyUp),
  allow_video: all(handling, noTransferYet, videoAccepts('allow'), rooms),
  decline_video: all(handling, videoAccepts('decline')),
  video_signal: all(handling, videoRunning),
  // Video first: while it runs, only End session ends anything (the call's own release is refused too).
  disconnect_chat: all(handling, noVideoRunning, callReleased),
  // Ends video, call and chat together: the agent's way out while video runs.
  end_session: handling,
};

const CUSTOMER_GUARDS: Readonly<Record<CustomerAction, Guard>> = {
  post_message: open,
  send_photo: open,
  update_context: open,
  end_chat: open,
  // Asking again while a request or a session is open is allowed and changes nothing.
  request_video: all(open, rooms),
  close_video: all(open, videoAccepts('customer_close')),
  video_signal: all(open, videoRunning),
  // SIP credentials for the customer's own phone (the simulated PSTN's, or the socket to it).
  use_phone: all(open, calling),
};

// ---- handoffs (handoff.ts, handoff-desk.ts) --------------------------------------------------

export type HandoffAction = 'transfer' | 'consult' | 'complete_transfer' | 'accept_transfer' | 'cancel_transfer';

const callNotBeingPlaced: Guard = ({ rec }) => {
  const leg = liveLeg(rec);
  return leg && leg.state !== 'connected' && leg.state !== 'on_hold' ? conflict('call_being_placed', 'The call is being placed: transfer once it is connected or released.') : null;
};
// A handover hangs up the first agent's phone, which supervisors listen on. One who only listens is
// taken off first (SupervisionDesk.endForHandover), unseen: the agents are never told of silent monitoring.
// One the agent hears (whispering, barging) holds the handover back until they stop talking.
const noSupervisorHeard: Guard = ({ rec }) =>
  liveLeg(rec)?.supervisions?.some((s) => agentHearsSupervisor(s.state))
    ? conflict('call_supervised', 'A supervisor is talking on this call: it can be handed over once they have stopped.')
    : null;
// A call moves with the chat only from the telephony that carries it now.
const callMovable: Guard = ({ rec, media }) => (liveLeg(rec) && media.telephonyAway ? telephonyUnavailable() : null);
const transferInProgress: Guard = ({ rec }) => (transferOfferedTo(rec) ? null : conflict('no_transfer', 'No transfer is in progress in this chat.'));
const transferOfferedToYou: Guard = ({ rec, agentId }) => (transferOfferedTo(rec) === agentId ? null : forbidden('not_offered_to_you', 'This chat is not offered to you.'));

// A consult is a call from the first agent's call: there must be one, connected (or on hold).
const callToConsultFrom: Guard = ({ rec }) => {
  const leg = liveLeg(rec);
  if (!leg) return conflict('consult_needs_call', 'Consult needs a call with the customer; use Transfer for the chat alone.');
  return leg.state === 'connected' || leg.state === 'on_hold' ? null : conflict('call_being_placed', 'The call is being placed: consult once it is connected.');
};
const consultInProgress: Guard = ({ rec }) => (consultOf(rec) ? null : conflict('no_consult', 'No consult is in progress in this chat.'));
const consultAnswered: Guard = ({ rec }) =>
  consultOf(rec)?.state === 'talking' ? null : conflict('consult_not_answered', "The other agent has not answered yet: wait for them, or Cancel transfer.");
// The consulted agent talks first; the first agent hands over (Complete transfer).
const notAConsult: Guard = ({ rec }) => (consultOf(rec) ? conflict('consult_not_accepted', 'This is a consult: the agent who called you completes the transfer.') : null);

const HANDOFF_GUARDS: Readonly<Record<HandoffAction, Guard>> = {
  transfer: all(handling, noTransferYet, noVideoRunning, callNotBeingPlaced, noSupervisorHeard, callMovable),
  consult: all(handling, noTransferYet, noVideoRunning, callToConsultFrom, noSupervisorHeard, calling, telephonyUp),
  complete_transfer: all(handling, consultInProgress, consultAnswered, noSupervisorHeard, telephonyUp),
  // While a transfer is offered nobody joins the call and nobody on it starts talking (supervisors' guards).
  accept_transfer: all(open, transferInProgress, transferOfferedToYou, notAConsult, noSupervisorHeard),
  // The agent handling the chat is the one who started its transfer.
  cancel_transfer: all(handling, transferInProgress),
};

export function handoffActions(rec: InteractionRecord, agentId: string, media: MediaCapabilities): Record<HandoffAction, Verdict> {
  return verdicts(HANDOFF_GUARDS, { rec, agentId, media });
}

export function assertHandoffMay(action: HandoffAction, rec: InteractionRecord, agentId: string, media: MediaCapabilities): void {
  const refusal = HANDOFF_GUARDS[action]({ rec, agentId, media });
  if (refusal) throw refusal;
}

// Who a transfer may go to, once the desk has looked the target up: `agent` is the target agent
// (or, for a service, the Ready agent routing chose), undefined when there is none.
export interface TransferTargetScene {
  fromAgentId: string;
  target: HandoffTarget;
  agent: AgentState | undefined;
  service?: Service;
  // The handoff would ring the target's phone (a consult, or a transfer with a live call) while the
  // target is on a call of their own.
  onCall?: boolean;
}

export function transferTargetRefusal({ fromAgentId, target, agent, service, onCall }: TransferTargetScene): Verdict {
  if (target.kind === 'agent') {
    if (target.agentId === fromAgentId) return conflict('transfer_to_self', 'You are handling this chat: transfer it to another agent or a service.');
    if (!agent) return notFound('unknown_agent', 'No such agent.');
    if (agent.presence !== 'ready') return conflict('agent_not_ready', 'This agent is not Ready: transfer to a Ready agent or a service.');
    // One offer at a time: a second would take the first one's place.
    if (agent.pendingOffer !== null) return conflict('agent_busy', 'This agent is being offered another chat right now: try again in a moment, or transfer to a service.');
    return onCall ? conflict('agent_on_call', 'This agent is on a call: their phone cannot ring now. Try again once they are free, or transfer to a service.') : null;
  }
  if (!service) return notFound('unknown_service', `No service "${target.serviceId}".`);
  if (service.disabled) return conflict('service_disabled', `${service.name} is not taking chats at the moment.`);
  return agent ? null : conflict('no_agent_ready', `No other agent of ${service.name} is Ready to take this chat.`);
}

// ---- supervisors ------------------------------------------------------------------------------

interface SupervisorScene {
  rec: InteractionRecord;
  supervisorId: string;
  media: MediaCapabilities;
}
type SupervisorGuard = (s: SupervisorScene) => Verdict;

// The supervisor's live supervision of the call up in this chat, if any.
export function supervisionOf(rec: InteractionRecord, supervisorId: string): Supervision | undefined {
  return liveLeg(rec)?.supervisions?.find((s) => s.supervisorId === supervisorId && isSupervising(s));
}

// A call that has ended (or was never connected) has nothing to listen to.
const callInProgress: SupervisorGuard = ({ rec }) => {
  const leg = liveLeg(rec);
  if (!leg) return conflict('no_call', rec.callLegs.length > 0 ? 'The call has ended: there is nothing to listen to.' : 'There is no call up in this chat.');
  return leg.state === 'connected' || leg.state === 'on_hold' ? null : conflict('call_not_connected', 'The call is not connected yet.');
};
// A handover hangs up the first agent's phone, which a supervisor listens on: join once it is settled.
const noHandoff: SupervisorGuard = ({ rec, supervisorId }) =>
  transferOfferedTo(rec) && !supervisionOf(rec, supervisorId) ? conflict('handoff_in_progress', 'A transfer is in progress in this chat: listen once it is accepted or cancelled.') : null;
// Nor does a listening supervisor start talking then: the handover would have to wait for them.
const noHandoffToTalkIn: SupervisorGuard = ({ rec }) =>
  transferOfferedTo(rec) ? conflict('handoff_in_progress', 'A transfer is in progress in this chat: whisper or barge once it is accepted or cancelled.') : null;
const notYourOwnCall: SupervisorGuard = ({ rec, supervisorId }) =>
  rec.agentId === supervisorId ? forbidden('own_call', 'You are the agent on this call: supervise the calls of other agents.') : null;
const supervisingCalls: SupervisorGuard = ({ media }) => (media.callingConfigured ? (media.telephonyAway ? telephonyUnavailable() : null) : callingNotConfigured());
const notOnTheCall = () => conflict('not_supervising', 'You are not on this call: Listen first.');
const onTheCall: SupervisorGuard = ({ rec, supervisorId }) => (supervisionOf(rec, supervisorId) ? null : notOnTheCall());
// Listen joins a call the supervisor is not on, and is a mode change on a call they are on.
const modeAccepts =
  (mode: SupervisionMode): SupervisorGuard =>
  ({ rec, supervisorId }) => {
    const current = supervisionOf(rec, supervisorId);
    if (!current) return mode === 'listen' ? null : notOnTheCall();
    return refusalOf(SUPERVISION_STATES, 'supervision', current.state, mode);
  };

const SUPERVISOR_GUARDS: Readonly<Record<SupervisorAction, SupervisorGuard>> = {
  listen: all<SupervisorScene>(open, callInProgress, notYourOwnCall, modeAccepts('listen'), noHandoff, supervisingCalls),
  whisper: all<SupervisorScene>(open, callInProgress, modeAccepts('whisper'), noHandoffToTalkIn, supervisingCalls),
  barge: all<SupervisorScene>(open, callInProgress, modeAccepts('barge'), noHandoffToTalkIn, supervisingCalls),
  // Leaving needs no Asterisk: a supervisor can always be taken off the call.
  stop: all<SupervisorScene>(open, callInProgress, onTheCall),
};

export function supervisorActions(rec: InteractionRecord, supervisorId: string, media: MediaCapabilities): Record<SupervisorAction, Verdict> {
  return verdicts(SUPERVISOR_GUARDS, { rec, supervisorId, media });
}

export function assertSupervisorMay(action: SupervisorAction, rec: InteractionRecord, supervisorId: string, media: MediaCapabilities): void {
  const refusal = SUPERVISOR_GUARDS[action]({ rec, supervisorId, media });
  if (refusal) throw refusal;
}

export function agentActions(rec: InteractionRecord, agentId: string | null, media: MediaCapabilities): Record<AgentAction, Verdict> {
  return verdicts(AGENT_GUARDS, { rec, agentId, media });
}

export function customerActions(rec: InteractionRecord, media: MediaCapabilities): Record<CustomerAction, Verdict> {
  return verdicts(CUSTOMER_GUARDS, { rec, agentId: null, media });
}

// One action only (the hot path of a message need not build the whole table).
export function agentRefusal(action: AgentAction, rec: InteractionRecord, agentId: string, media: MediaCapabilities): Verdict {
  return AGENT_GUARDS[action]({ rec, agentId, media });
}

export function assertAgentMay(action: AgentAction, rec: InteractionRecord, agentId: string, media: MediaCapabilities): void {
  const refusal = agentRefusal(action, rec, agentId, media);
  if (refusal) throw refusal;
}

export function assertCustomerMay(action: CustomerAction, rec: InteractionRecord, media: MediaCapabilities): void {
  const refusal = CUSTOMER_GUARDS[action]({ rec, agentId: null, media });
  if (refusal) throw refusal;
}

// Hold and Mute are toggles on the desktop: what a press does depends on the live call leg.
export function holdToggle(rec: InteractionRecord): 'hold' | 'unhold' {
  return liveLeg(rec)?.state === 'on_hold' ? 'unhold' : 'hold';
}

export function muteToggle(rec: InteractionRecord): 'mute' | 'unmute' {
  return liveLeg(rec)?.mute === 'muted' ? 'unmute' : 'mute';
}

function verdicts<A extends string, S>(guards: Readonly<Record<A, (s: S) => Verdict>>, scene: S): Record<A, Verdict> {
  const table = {} as Record<A, Verdict>;
  for (const action of Object.keys(guards) as A[]) table[action] = guards[action](scene);
  return table;
}

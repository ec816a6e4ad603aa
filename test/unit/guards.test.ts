// The guard table, state by state: for each action an agent or the customer may try, "allowed" or the
// code of the refusal they are shown (the same code the command answers with, see guard-commands).
import t from 'tap';
import type { CallLeg, CallLegState } from '../../src/domain/call-leg.ts';
import { agentActions, customerActions, type AgentAction, type CustomerAction, type MediaCapabilities, type Verdict } from '../../src/domain/guards.ts';
import type { InteractionRecord } from '../../src/domain/interaction.ts';
import { newRecording, type RecordingState } from '../../src/domain/recording.ts';
import type { VideoSession, VideoState } from '../../src/domain/video-session.ts';
import { interactionRecord } from '../helpers/fakes.ts';

const ALL: MediaCapabilities = { callingConfigured: true, videoConfigured: true };
const OK = 'allowed';

const leg = (state: CallLegState, id = `leg-${state}`): CallLeg => ({
  id,
  interactionId: 'i-1',
  serviceId: 'roadside',
  agentId: 'alice',
  customerNumber: '+15551234567',
  state,
  mute: 'unmuted',
  startedAt: 0,
  answeredAt: null,
  endedAt: null,
  cause: null,
});

const recorded = (state: RecordingState): CallLeg => ({ ...leg('connected'), recording: { ...newRecording('r-1', 'leg-connected', 0), state } });

const video = (state: VideoState): VideoSession => ({ id: 'v-1', interactionId: 'i-1', state, requestedAt: 0, startedAt: null, endedAt: null, endedBy: null });

const handledByAlice = (over: Partial<InteractionRecord> = {}) => interactionRecord({ state: 'active', agentId: 'alice', ...over });

const codes = <A extends string>(table: Record<A, Verdict>) => Object.fromEntries(Object.entries(table).map(([a, v]) => [a, v ? (v as Exclude<Verdict, null>).code : OK])) as Record<A, string>;

// Alice's own active chat with nothing but the chat going on.
const PLAIN_CHAT: Record<AgentAction, string> = {
  accept: 'not_offered_to_you',
  post_message: OK,
  call: OK,
  release_call: 'no_call',
  hold: 'no_call',
  unhold: 'no_call',
  mute: 'no_call',
  unmute: 'no_call',
  pause_recording: 'no_call',
  resume_recording: 'no_call',
  allow_video: 'no_video',
  decline_video: 'no_video',
  video_signal: 'video_not_active',
  disconnect_chat: OK,
  end_session: OK,
};
const NOT_HERS = Object.fromEntries(Object.keys(PLAIN_CHAT).map((a) => [a, 'not_your_chat'])) as Record<AgentAction, string>;
const WHILE_DIALING = {
  ...PLAIN_CHAT,
  call: 'call_in_progress',
  release_call: OK,
  hold: 'call_dialing_agent',
  unhold: 'call_dialing_agent',
  mute: 'call_not_connected',
  unmute: 'call_not_connected',
  pause_recording: 'not_recording',
  resume_recording: 'not_recording',
  disconnect_chat: 'call_in_progress',
};
const WHILE_CONNECTED = { ...WHILE_DIALING, hold: OK, unhold: 'call_connected', mute: OK, unmute: OK };

const agentScenes: Array<[string, InteractionRecord, string, MediaCapabilities, Record<AgentAction, string>]> = [
  ['queued, nobody has it', interactionRecord({ state: 'queued' }), 'alice', ALL, { ...NOT_HERS, accept: 'not_offered_to_you' }],
  ['offered to alice', interactionRecord({ state: 'offered', offeredTo: 'alice' }), 'alice', ALL, { ...NOT_HERS, accept: OK }],
  ['offered to bob, alice tries', interactionRecord({ state: 'offered', offeredTo: 'bob' }), 'alice', ALL, { ...NOT_HERS, accept: 'not_offered_to_you' }],
  ['active, the chat only', handledByAlice(), 'alice', ALL, PLAIN_CHAT],
  ['active, another agent tries', handledByAlice(), 'bob', ALL, { ...NOT_HERS, accept: 'not_offered_to_you' }],
  ['active, no calling or video on this server', handledByAlice({ video: video('requested') }), 'alice', { callingConfigured: false, videoConfigured: false }, { ...PLAIN_CHAT, call: 'calling_not_configured', allow_video: 'video_unavailable', decline_video: OK }],
  ['calling the agent’s phone', handledByAlice({ callLegs: [leg('dialing_agent')] }), 'alice', ALL, WHILE_DIALING],
  ['ringing the customer', handledByAlice({ callLegs: [leg('ringing')] }), 'alice', ALL, { ...WHILE_DIALING, hold: 'call_ringing', unhold: 'call_ringing' }],
  ['call connected', handledByAlice({ callLegs: [leg('connected')] }), 'alice', ALL, WHILE_CONNECTED],
  ['call recorded', handledByAlice({ callLegs: [recorded('recording')] }), 'alice', ALL, { ...WHILE_CONNECTED, pause_recording: OK, resume_recording: 'recording_recording' }],
  ['recording paused', handledByAlice({ callLegs: [recorded('paused')] }), 'alice', ALL, { ...WHILE_CONNECTED, pause_recording: 'recording_paused', resume_recording: OK }],
  ['recording failed', handledByAlice({ callLegs: [recorded('failed')] }), 'alice', ALL, { ...WHILE_CONNECTED, pause_recording: 'recording_failed', resume_recording: 'recording_failed' }],
  ['call on hold', handledByAlice({ callLegs: [leg('on_hold')] }), 'alice', ALL, { ...WHILE_CONNECTED, hold: 'call_on_hold', unhold: OK }],
  ['a failed call, then a connected one', handledByAlice({ callLegs: [leg('failed', 'first'), leg('connected', 'second')] }), 'alice', ALL, WHILE_CONNECTED],
  ['the only call failed', handledByAlice({ callLegs: [leg('failed')] }), 'alice', ALL, PLAIN_CHAT],
  ['video requested', handledByAlice({ video: video('requested') }), 'alice', ALL, { ...PLAIN_CHAT, allow_video: OK, decline_video: OK }],
  [
    'video running',
    handledByAlice({ video: video('active') }),
    'alice',
    ALL,
    { ...PLAIN_CHAT, allow_video: 'video_active', decline_video: 'video_active', video_signal: OK, disconnect_chat: 'video_active', release_call: 'video_active' },
  ],
  [
    'video running with a call up',
    handledByAlice({ video: video('active'), callLegs: [leg('connected')] }),
    'alice',
    ALL,
    // Disconnect says what Release call says (only End session ends anything), not "release the call first".
    { ...WHILE_CONNECTED, allow_video: 'video_active', decline_video: 'video_active', video_signal: OK, release_call: 'video_active', disconnect_chat: 'video_active' },
  ],
  ['video running, SFU gone since', handledByAlice({ video: video('active') }), 'alice', { callingConfigured: true, videoConfigured: false }, { ...PLAIN_CHAT, allow_video: 'video_active', decline_video: 'video_active', disconnect_chat: 'video_active', release_call: 'video_active' }],
  ['video declined', handledByAlice({ video: video('declined') }), 'alice', ALL, { ...PLAIN_CHAT, allow_video: 'video_declined', decline_video: 'video_declined' }],
  ['video closed by the customer', handledByAlice({ video: video('closed') }), 'alice', ALL, { ...PLAIN_CHAT, allow_video: 'video_closed', decline_video: 'video_closed' }],
  ['ended', handledByAlice({ state: 'ended' }), 'alice', ALL, Object.fromEntries(Object.keys(PLAIN_CHAT).map((a) => [a, 'chat_ended'])) as Record<AgentAction, string>],
];

t.test('agent actions: allowed, or refused with the code the agent is shown', async (t) => {
  for (const [name, rec, agentId, media, expected] of agentScenes) t.same(codes(agentActions(rec, agentId, media)), expected, name);
});

const CUSTOMER_PLAIN: Record<CustomerAction, string> = {
  post_message: OK,
  send_photo: OK,
  update_context: OK,
  end_chat: OK,
  request_video: OK,
  close_video: 'no_video',
  video_signal: 'video_not_active',
  use_phone: OK,
};

const customerScenes: Array<[string, InteractionRecord, MediaCapabilities, Record<CustomerAction, string>]> = [
  ['queued', interactionRecord({ state: 'queued' }), ALL, CUSTOMER_PLAIN],
  ['active, no SFU', handledByAlice(), { callingConfigured: true, videoConfigured: false }, { ...CUSTOMER_PLAIN, request_video: 'video_unavailable' }],
  ['active, no calling', handledByAlice(), { callingConfigured: false, videoConfigured: true }, { ...CUSTOMER_PLAIN, use_phone: 'calling_not_configured' }],
  ['video requested (asking again changes nothing)', handledByAlice({ video: video('requested') }), ALL, { ...CUSTOMER_PLAIN, close_video: OK }],
  ['video running', handledByAlice({ video: video('active') }), ALL, { ...CUSTOMER_PLAIN, close_video: OK, video_signal: OK }],
  ['video declined', handledByAlice({ video: video('declined') }), ALL, { ...CUSTOMER_PLAIN, close_video: 'video_declined' }],
  ['video closed', handledByAlice({ video: video('closed') }), ALL, { ...CUSTOMER_PLAIN, close_video: 'video_closed' }],
  ['ended', handledByAlice({ state: 'ended', video: video('active') }), ALL, Object.fromEntries(Object.keys(CUSTOMER_PLAIN).map((a) => [a, 'chat_ended'])) as Record<CustomerAction, string>],
];

t.test('customer actions: allowed, or refused with the code the app is given', async (t) => {
  for (const [name, rec, media, expected] of customerScenes) t.same(codes(customerActions(rec, media)), expected, name);
});

t.test('each refusal carries its reason for the page, and the HTTP kind the API maps', async (t) => {
  const onCall = agentActions(handledByAlice({ callLegs: [leg('connected')] }), 'alice', ALL);
  t.match(onCall.disconnect_chat, { kind: 'conflict', message: /Release the call first/ });
  t.match(onCall.call, { kind: 'conflict', code: 'call_in_progress' });
  const onVideo = agentActions(handledByAlice({ video: video('active') }), 'alice', ALL);
  t.match(onVideo.disconnect_chat, { kind: 'conflict', message: /only the customer can close it/ });
  t.match(onVideo.release_call, { message: onVideo.disconnect_chat?.message }, 'Release call says the same about video');
  t.match(agentActions(handledByAlice(), 'alice', { callingConfigured: false, videoConfigured: true }).call, { kind: 'unavailable' });
  t.match(agentActions(handledByAlice(), 'bob', ALL).post_message, { kind: 'forbidden' });
  t.match(customerActions(handledByAlice({ state: 'ended' }), ALL).post_message, { kind: 'conflict', message: /ended/ });
});

t.test('telephony away: calling and call controls are refused with its reason; release, chat and video go on', async (t) => {
  const away: MediaCapabilities = { ...ALL, telephonyAway: true };
  const idle = codes(agentActions(handledByAlice(), 'alice', away));
  t.same(idle, { ...PLAIN_CHAT, call: 'telephony_unavailable' }, 'only the call is refused in a chat without one');
  const onCall = codes(agentActions(handledByAlice({ callLegs: [leg('connected')] }), 'alice', away));
  t.match(onCall, { call: 'telephony_unavailable', hold: 'telephony_unavailable', mute: 'telephony_unavailable', release_call: OK, end_session: OK });
  const refusal = agentActions(handledByAlice(), 'alice', away).call;
  t.match(refusal, { kind: 'unavailable', message: /^Telephony is unavailable/ }, 'a 503 with the words the desktop shows');
  t.equal(codes(customerActions(handledByAlice(), away)).use_phone, OK, "the customer's phone keeps its credentials (it registers again once back)");
  t.equal(codes(agentActions(handledByAlice(), 'bob', away)).call, 'not_your_chat', 'someone else is told what they are always told');
});

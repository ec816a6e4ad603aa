// The commands refuse exactly what the guard table refuses, with the same code and reason, and a
// refused command changes nothing; Hold and Mute act on the live call leg.
import t from 'tap';
import type { CallLeg } from '../../src/domain/call-leg.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { agentActions, customerActions, holdToggle, muteToggle, type AgentAction, type CustomerAction } from '../../src/domain/guards.ts';
import { activeChat, expectDomainError, makeCenter, startChat, type Harness } from '../helpers/fakes.ts';
import { PNG } from '../helpers/images.ts';
import { FakeRecorder, FakeTelephony, FakeVideoRooms } from '../helpers/fake-media.ts';

interface Scene extends Harness {
  telephony: FakeTelephony;
  rooms: FakeVideoRooms;
  recorder: FakeRecorder;
}

async function scene(): Promise<Scene> {
  const telephony = new FakeTelephony();
  const rooms = new FakeVideoRooms();
  const recorder = new FakeRecorder();
  return { ...(await makeCenter({ telephony, video: rooms, recorder })), telephony, rooms, recorder };
}

async function connectedCall(s: Scene, id: string): Promise<CallLeg> {
  const leg = await s.desk.callCustomer('alice', id);
  await s.desk.onCallEvent(id, leg.id, 'agent_answered');
  await s.desk.onCallEvent(id, leg.id, 'customer_answered');
  return leg;
}

const recordCalls = async (s: Scene) => s.directory.saveService({ ...(await s.directory.getService('roadside'))!, recordCalls: true });

const active = async (s: Scene) => (await activeChat(s, 'alice')).interaction.id;

// Each builds the interaction in one state, through the commands themselves.
const SCENES: Record<string, (s: Scene) => Promise<string>> = {
  'offered to alice': async (s) => {
    s.center.setPresence('alice', 'make_ready');
    return (await startChat(s)).interaction.id;
  },
  'active, chat only': active,
  'calling alice’s phone': async (s) => {
    const id = await active(s);
    await s.desk.callCustomer('alice', id);
    return id;
  },
  'call connected': async (s) => {
    const id = await active(s);
    await connectedCall(s, id);
    return id;
  },
  'call recorded (its service records calls)': async (s) => {
    await recordCalls(s);
    const id = await active(s);
    await connectedCall(s, id);
    return id;
  },
  'recording paused': async (s) => {
    await recordCalls(s);
    const id = await active(s);
    await connectedCall(s, id);
    await s.recordings.pause('alice', id);
    return id;
  },
  'call on hold and muted': async (s) => {
    const id = await active(s);
    await connectedCall(s, id);
    await s.desk.toggleMute('alice', id);
    await s.desk.toggleHold('alice', id);
    return id;
  },
  'video requested': async (s) => {
    const id = await active(s);
    await s.desk.requestVideo(id);
    return id;
  },
  'video running with a call up': async (s) => {
    const id = await active(s);
    await connectedCall(s, id);
    await s.desk.requestVideo(id);
    await s.desk.allowVideo('alice', id);
    return id;
  },
  'video declined': async (s) => {
    const id = await active(s);
    await s.desk.requestVideo(id);
    await s.desk.declineVideo('alice', id);
    return id;
  },
  'ended by the customer': async (s) => {
    const id = await active(s);
    await s.center.endByCustomer(id);
    return id;
  },
};

const AGENT_COMMANDS: Record<AgentAction, (s: Scene, agentId: string, id: string) => Promise<unknown>> = {
  accept: (s, a, id) => s.center.accept(a, id),
  post_message: (s, a, id) => s.center.postAgentMessage(a, id, 'Hello'),
  call: (s, a, id) => s.desk.callCustomer(a, id),
  release_call: (s, a, id) => s.desk.releaseCall(a, id),
  hold: (s, a, id) => s.desk.toggleHold(a, id),
  unhold: (s, a, id) => s.desk.toggleHold(a, id),
  mute: (s, a, id) => s.desk.toggleMute(a, id),
  unmute: (s, a, id) => s.desk.toggleMute(a, id),
  pause_recording: (s, a, id) => s.recordings.pause(a, id),
  resume_recording: (s, a, id) => s.recordings.resume(a, id),
  allow_video: (s, a, id) => s.desk.allowVideo(a, id),
  decline_video: (s, a, id) => s.desk.declineVideo(a, id),
  video_signal: (s, a, id) => s.desk.videoSignal(id, 'agent', a, { op: 'capabilities' }),
  disconnect_chat: (s, a, id) => s.center.disconnect(a, id),
  end_session: (s, a, id) => s.center.endSession(a, id),
};

// use_phone is no command: authorizeCustomer asserts it for the phone's credentials (customers.test.ts).
const CUSTOMER_COMMANDS: Record<Exclude<CustomerAction, 'use_phone'>, (s: Scene, id: string) => Promise<unknown>> = {
  post_message: (s, id) => s.center.postCustomerMessage(id, 'Hi'),
  send_photo: (s, id) => s.center.addAttachment(id, { bytes: PNG, sniffedType: 'image/png', declaredType: 'image/png', fileName: 'car.png' }),
  update_context: (s, id) => s.center.updateContext(id, { fields: { plate: 'AB-123' } }),
  end_chat: (s, id) => s.center.endByCustomer(id),
  request_video: (s, id) => s.desk.requestVideo(id),
  close_video: (s, id) => s.desk.customerCloseVideo(id),
  video_signal: (s, id) => s.desk.videoSignal(id, 'customer', undefined, { op: 'capabilities' }),
};

const verdict = (refusal: DomainError | null) => (refusal ? `${refusal.code}: ${refusal.message}` : 'allowed');

// What the command did, in the words of the guard table; a refusal that still wrote something says so.
async function outcome(s: Scene, id: string, run: () => Promise<unknown>): Promise<string> {
  await s.store.settled();
  const before = s.store.entriesOf(id).length;
  const media = s.telephony.calls.length + s.rooms.calls.length + s.recorder.calls.length;
  try {
    await run();
    return 'allowed';
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    await s.store.settled();
    const changed = s.store.entriesOf(id).length !== before || s.telephony.calls.length + s.rooms.calls.length + s.recorder.calls.length !== media;
    return verdict(err) + (changed ? ' (yet something changed)' : '');
  }
}

// Hold/Unhold and Mute/Unmute are one toggle each: the guard of the way the toggle goes is the one asked.
const skippedByToggle = (action: AgentAction, s: Scene, id: string) => {
  const rec = s.interactions.get(id);
  if (!rec) return false;
  if (action === 'hold' || action === 'unhold') return holdToggle(rec) !== action;
  if (action === 'mute' || action === 'unmute') return muteToggle(rec) !== action;
  return false;
};

for (const [name, build] of Object.entries(SCENES)) {
  t.test(`${name}: the commands answer what the guard table says`, async (t) => {
    for (const agentId of ['alice', 'bob']) {
      const expected: Record<string, string> = {};
      const actual: Record<string, string> = {};
      for (const action of Object.keys(AGENT_COMMANDS) as AgentAction[]) {
        const s = await scene();
        const id = await build(s);
        if (skippedByToggle(action, s, id)) continue;
        const rec = s.interactions.get(id) ?? (await s.interactions.find(id))!;
        expected[action] = verdict(agentActions(rec, agentId, s.desk.capabilities)[action]);
        actual[action] = await outcome(s, id, () => AGENT_COMMANDS[action](s, agentId, id));
      }
      t.same(actual, expected, `as ${agentId}`);
    }
    const expected: Record<string, string> = {};
    const actual: Record<string, string> = {};
    for (const action of Object.keys(CUSTOMER_COMMANDS) as Array<keyof typeof CUSTOMER_COMMANDS>) {
      const s = await scene();
      const id = await build(s);
      const rec = s.interactions.get(id) ?? (await s.interactions.find(id))!;
      expected[action] = verdict(customerActions(rec, s.desk.capabilities)[action]);
      actual[action] = await outcome(s, id, () => CUSTOMER_COMMANDS[action](s, id));
    }
    t.same(actual, expected, 'as the customer');
  });
}

t.test('Hold and Mute act on the live call, not on an earlier one that failed', async (t) => {
  const s = await scene();
  const id = await active(s);
  s.telephony.failNext = new Error('busy');
  const first = await s.desk.callCustomer('alice', id);
  t.equal(first.state, 'failed', 'the first call failed');
  const second = await connectedCall(s, id);
  s.telephony.calls.length = 0;

  await s.desk.toggleHold('alice', id);
  await s.desk.toggleMute('alice', id);
  t.same([second.state, second.mute], ['on_hold', 'muted']);
  await s.desk.toggleHold('alice', id);
  await s.desk.toggleMute('alice', id);
  t.same([second.state, second.mute], ['connected', 'unmuted'], 'a second press undoes the first');
  t.same(s.telephony.calls, [`hold ${second.id}`, `mute ${second.id}`, `unhold ${second.id}`, `unmute ${second.id}`], 'each on the live call');
  t.same([first.state, first.mute], ['failed', 'unmuted'], 'the failed call is left alone');
  await s.store.settled();
  const calls = s.store
    .entriesOf(id)
    .filter((e) => e.kind === 'call')
    .map((e) => e.data as unknown as CallLeg)
    .filter((leg) => leg.id === second.id);
  t.same(
    calls.slice(-4).map((leg) => [leg.state, leg.mute]),
    [
      ['on_hold', 'unmuted'],
      ['on_hold', 'muted'],
      ['connected', 'muted'],
      ['connected', 'unmuted'],
    ],
    'every press is on the timeline',
  );
});

t.test('a hold the telephony could not do leaves the call as it was', async (t) => {
  const s = await scene();
  const id = await active(s);
  const leg = await connectedCall(s, id);
  await s.store.settled();
  const entries = s.store.entriesOf(id).length;
  s.telephony.failNext = new Error('ARI unreachable');
  await t.rejects(s.desk.toggleHold('alice', id), /ARI unreachable/);
  s.telephony.failNext = new Error('ARI unreachable');
  await t.rejects(s.desk.toggleMute('alice', id), /ARI unreachable/);
  t.same([leg.state, leg.mute], ['connected', 'unmuted'], 'still connected and unmuted: the page shows what is true');
  await s.store.settled();
  t.equal(s.store.entriesOf(id).length, entries, 'nothing recorded');
});

t.test('Hold and Mute before the call is connected, or with no call, reach no telephony', async (t) => {
  const s = await scene();
  const id = await active(s);
  await expectDomainError(t, s.desk.toggleHold('alice', id), 'conflict', 'no_call', 'Hold with no call');
  await expectDomainError(t, s.desk.toggleMute('alice', id), 'conflict', 'no_call', 'Mute with no call');
  await s.desk.callCustomer('alice', id);
  await expectDomainError(t, s.desk.toggleHold('alice', id), 'conflict', 'call_dialing_agent', 'Hold while dialing');
  await expectDomainError(t, s.desk.toggleMute('alice', id), 'conflict', 'call_not_connected', 'Mute while dialing');
  t.same(s.telephony.calls.filter((c) => !c.startsWith('place')), []);
});

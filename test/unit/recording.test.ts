// Call recordings: the state table, and what the rules do with it (started at the customer's answer
// when the service records calls, paused as silence, stored after the call, failures on the timeline
// without touching the call, who may hear it, retention).
import t from 'tap';
import type { CallLeg } from '../../src/domain/call-leg.ts';
import { canApply } from '../../src/domain/state-table.ts';
import {
  applyRecordingEvent,
  mayHearRecording,
  newRecording,
  RECORDING_STATES,
  RecordingFileGone,
  type CallRecording,
  type RecordingEvent,
  type RecordingState,
} from '../../src/domain/recording.ts';
import { activeChat, expectDomainError, interactionRecord, makeCenter } from '../helpers/fakes.ts';
import { FakeRecorder, FakeTelephony } from '../helpers/fake-media.ts';

const STATES: RecordingState[] = ['recording', 'paused', 'stopped', 'failed', 'not_stored'];
const EVENTS: RecordingEvent[] = ['pause', 'resume', 'stop', 'fail', 'leave'];
const LEGAL: Array<[RecordingState, RecordingEvent, RecordingState]> = [
  ['recording', 'pause', 'paused'],
  ['recording', 'stop', 'stopped'],
  ['recording', 'fail', 'failed'],
  ['paused', 'resume', 'recording'],
  ['paused', 'stop', 'stopped'],
  ['paused', 'fail', 'failed'],
  ['recording', 'leave', 'not_stored'],
  ['paused', 'leave', 'not_stored'],
  ['not_stored', 'stop', 'stopped'],
  ['not_stored', 'fail', 'failed'],
];

t.test('the recording state table: exactly these transitions, every other one refused with a conflict', async (t) => {
  for (const from of STATES) {
    for (const event of EVENTS) {
      const legal = LEGAL.find(([f, e]) => f === from && e === event);
      t.equal(canApply(RECORDING_STATES, from, event), Boolean(legal), `${from} --${event}-->`);
      const r: CallRecording = { ...newRecording('r', 'l', 0), state: from };
      if (legal) {
        applyRecordingEvent(r, event, 5000, 'why');
        t.equal(r.state, legal[2]);
      } else {
        await expectDomainError(t, () => applyRecordingEvent(r, event, 5000), 'conflict', `recording_${from}`, `${event} while ${from}`);
        t.equal(r.state, from, 'unchanged');
      }
    }
  }
});

t.test('an ended recording knows its duration (paused parts included) and why it failed', async (t) => {
  const r = newRecording('r', 'l', 1000);
  applyRecordingEvent(r, 'pause', 2000);
  applyRecordingEvent(r, 'resume', 3000);
  applyRecordingEvent(r, 'stop', 61_000);
  t.same([r.state, r.durationMs, r.endedAt, r.cause], ['stopped', 60_000, 61_000, null]);
  const f = newRecording('f', 'l', 0);
  applyRecordingEvent(f, 'fail', 10, 'disk full');
  t.same([f.state, f.cause], ['failed', 'disk full']);
});

t.test('who may hear a recording: the agents of the interaction, supervisors and admins; nobody disabled', async (t) => {
  const rec = interactionRecord({ state: 'ended', agentId: 'alice', callLegs: [{ agentId: 'bob' } as CallLeg] });
  const who = (id: string, role: 'agent' | 'supervisor' | 'admin', disabled = false) => mayHearRecording(rec, { id, role, disabled });
  t.same([who('alice', 'agent'), who('bob', 'agent'), who('carol', 'agent'), who('sue', 'supervisor'), who('ada', 'admin'), who('sue', 'supervisor', true)], [true, true, false, true, true, false]);
  const transferred = interactionRecord({ state: 'ended', agentId: 'dave', callLegs: [{ agentId: 'dave' } as CallLeg] });
  const heard = (id: string) => mayHearRecording(transferred, { id, role: 'agent', disabled: false }, ['alice', 'dave']);
  t.same([heard('alice'), heard('dave'), heard('carol')], [true, true, false], 'an agent who worked it before a transfer hears its calls once it ended; one who never did, not');
  const live = interactionRecord({ state: 'active', agentId: 'dave', callLegs: [{ agentId: 'alice' } as CallLeg] });
  const now = (id: string) => mayHearRecording(live, { id, role: 'agent', disabled: false }, ['alice', 'dave']);
  t.same([now('alice'), now('dave')], [false, true], 'while it is live with the next agent, the one before (who placed the call) does not');
});

async function recordedScene(recordCalls = true) {
  const telephony = new FakeTelephony();
  const recorder = new FakeRecorder();
  const h = await makeCenter({ telephony, recorder });
  await h.directory.saveService({ ...(await h.directory.getService('roadside'))!, recordCalls });
  const { interaction } = await activeChat(h, 'alice');
  const id = interaction.id;
  const leg = await h.desk.callCustomer('alice', id);
  await h.desk.onCallEvent(id, leg.id, 'agent_answered');
  return { h, id, leg, recorder, answer: () => h.desk.onCallEvent(id, leg.id, 'customer_answered') };
}

const recordingEntries = (h: Awaited<ReturnType<typeof makeCenter>>, id: string) =>
  h.store.entriesOf(id).filter((e) => e.kind === 'recording').map((e) => [e.author, (e.data as { state: string }).state]);

t.test('a recorded call: started at the answer, paused and resumed by the agent, stored after the release', async (t) => {
  const { h, id, leg, recorder, answer } = await recordedScene();
  t.equal(leg.recording, undefined, 'nothing is recorded before the customer answers');
  await answer();
  const recording = leg.recording!;
  t.equal(recording.state, 'recording');
  t.same(recorder.calls, [`start ${leg.id} ${recording.id}`], 'the bridge is recorded once the customer answered');
  await h.recordings.pause('alice', id);
  await h.desk.toggleHold('alice', id);
  await h.desk.toggleHold('alice', id);
  await h.recordings.resume('alice', id);
  await expectDomainError(t, h.recordings.resume('alice', id), 'conflict', 'recording_recording', 'Resume while recording');
  await expectDomainError(t, h.recordings.pause('bob', id), 'forbidden', 'not_your_chat', 'another agent');
  h.clock.advance(90_000);
  await h.desk.releaseCall('alice', id);
  await h.recordings.settled();
  t.same(recorder.calls.slice(1), [`pause ${recording.id}`, `resume ${recording.id}`, `collect ${recording.id}`, `discard ${recording.id}`], 'hold starts no second recording; the file is removed from the telephony once stored');
  t.same([recording.state, recording.durationMs, recording.contentType], ['stopped', 90_000, 'audio/wav']);
  t.same((await h.recordingFiles.recordingInfo(recording.id))?.interactionId, id, 'the file is stored with its interaction');
  await h.store.settled();
  t.same(recordingEntries(h, id), [['system', 'recording'], ['agent', 'paused'], ['agent', 'recording'], ['system', 'stopped']], 'each step is on the timeline');
});

t.test('a service that does not record calls: nothing is recorded, Pause is refused', async (t) => {
  const { h, id, leg, recorder, answer } = await recordedScene(false);
  await answer();
  t.equal(leg.recording, null);
  t.same(recorder.calls, []);
  await expectDomainError(t, h.recordings.pause('alice', id), 'conflict', 'not_recording');
});

t.test('a recording that fails never breaks the call: the timeline says so', async (t) => {
  const started = await recordedScene();
  started.recorder.failNext = new Error('Error starting recording');
  await started.answer();
  t.equal(started.leg.state, 'connected', 'the call is up');
  t.match(started.leg.recording, { state: 'failed', cause: /could not start: Error starting recording/ });
  await expectDomainError(t, started.h.recordings.pause('alice', started.id), 'conflict', 'recording_failed', 'nothing left to pause');

  const unstored = await recordedScene();
  await unstored.answer();
  unstored.recorder.failNext = null;
  const collect = unstored.recorder.collect.bind(unstored.recorder);
  unstored.recorder.collect = async (rid) => (await collect(rid), Promise.reject(new Error('no file')));
  await unstored.h.desk.releaseCall('alice', unstored.id);
  await unstored.h.recordings.settled();
  t.match(unstored.leg.recording, { state: 'not_stored', cause: /no file/ });
  t.notOk(unstored.recorder.calls.some((c) => c.startsWith('discard')), 'what could not be stored is left in the telephony');

  const gone = await recordedScene();
  await gone.answer();
  gone.recorder.collect = async () => Promise.reject(new RecordingFileGone('its file is gone from Asterisk'));
  await gone.h.desk.releaseCall('alice', gone.id);
  await gone.h.recordings.settled();
  t.match(gone.leg.recording, { state: 'failed', cause: /not stored: its file is gone from Asterisk/ }, 'no usable file: failed for good');
});

t.test('a Pause the telephony did not carry out: the agent is told it still records, and can try again', async (t) => {
  const { h, id, leg, recorder, answer } = await recordedScene();
  await answer();
  recorder.failNext = new Error('ARI is not reachable');
  const refusal = await expectDomainError(t, h.recordings.pause('alice', id), 'unavailable', 'recording_unavailable', 'Pause while Asterisk did not mute');
  t.match(refusal?.message, /still being recorded/);
  t.match([leg.state, leg.recording?.state], ['connected', 'recording'], 'never shown paused while Asterisk records');
  t.equal((await h.recordings.pause('alice', id)).state, 'paused', 'the next Pause goes through');
  recorder.failNext = new Error('ARI is not reachable');
  await expectDomainError(t, h.recordings.resume('alice', id), 'unavailable', 'recording_unavailable', 'Resume likewise');
  t.equal(leg.recording?.state, 'paused');
  await h.store.settled();
  t.same(recordingEntries(h, id), [['system', 'recording'], ['agent', 'paused']], 'only what happened is on the timeline');
});

t.test('Pause pressed as the customer hangs up: the whole call is still collected and removed from the telephony', async (t) => {
  const { h, id, leg, recorder, answer } = await recordedScene();
  await answer();
  let refuse!: () => void;
  recorder.pause = () => new Promise((_, reject) => (refuse = () => reject(Object.assign(new Error('Recording not found'), { status: 404 }))));
  const pausing = h.recordings.pause('alice', id);
  // Asterisk destroys the bridge, which ends the recording; the mute then gets 404.
  const hangup = h.desk.onCallEvent(id, leg.id, 'customer_hangup', 'customer hung up');
  refuse();
  await expectDomainError(t, pausing, 'conflict', 'no_call', 'the agent is told the call ended');
  await hangup;
  await h.recordings.settled();
  const rid = leg.recording!.id;
  t.equal(leg.recording?.state, 'stopped');
  t.ok(recorder.calls.includes(`collect ${rid}`), 'the file of the whole call is collected');
  t.ok(recorder.calls.includes(`discard ${rid}`), 'and removed from Asterisk');
  t.ok(await h.recordingFiles.recordingInfo(rid), 'stored');
});

t.test('recover: a recording whose call ended while the controller was away is collected then', async (t) => {
  const { h, id, leg, recorder, answer } = await recordedScene();
  await answer();
  // As a new leader finds it: the leg ended (reconciled), its recording still "recording".
  Object.assign(leg, { state: 'released', endedAt: h.clock.now() });
  h.recordings.recover();
  await h.recordings.settled();
  t.equal(leg.recording!.state, 'stopped');
  t.ok(recorder.calls.includes(`collect ${leg.recording!.id}`));
  t.ok(await h.recordingFiles.recordingInfo(leg.recording!.id), 'stored');
  t.ok(h.interactions.get(id));
});

t.test('retention: the sweep deletes recordings older than the retention period, keeps the others', async (t) => {
  const { h, id, leg, answer } = await recordedScene();
  await answer();
  await h.desk.releaseCall('alice', id);
  await h.recordings.settled();
  const rid = leg.recording!.id;
  h.clock.advance(29 * 86_400_000);
  t.equal(await h.recordings.sweep(), 0, 'kept within the retention period');
  await h.recordings.playable('alice', rid);
  h.clock.advance(2 * 86_400_000);
  t.equal(await h.recordings.sweep(), 1);
  await expectDomainError(t, h.recordings.playable('alice', rid), 'not_found', 'recording_not_found');
});

t.test('retention counts from the call, not from when its recording could be stored', async (t) => {
  const { h, id, leg, answer } = await recordedScene();
  await answer();
  // As after Asterisk was away: the call ended, and its file is collected only 20 days later.
  Object.assign(leg, { state: 'released', endedAt: h.clock.now() });
  h.clock.advance(20 * 86_400_000);
  h.recordings.recover();
  await h.recordings.settled();
  const rid = leg.recording!.id;
  t.equal(leg.recording!.state, 'stopped', 'stored late');
  h.clock.advance(9 * 86_400_000);
  t.equal(await h.recordings.sweep(), 0, 'kept 29 days after the call');
  h.clock.advance(2 * 86_400_000);
  t.equal(await h.recordings.sweep(), 1, 'deleted 31 days after the call, though stored only 11 days ago');
  await expectDomainError(t, h.recordings.playable('alice', rid), 'not_found', 'recording_not_found');
  t.ok(h.interactions.get(id));
});

t.test('playable: the agent of the call, not another agent', async (t) => {
  const { h, id, answer } = await recordedScene();
  await answer();
  await h.desk.releaseCall('alice', id);
  await h.recordings.settled();
  const rid = h.interactions.get(id)!.callLegs[0]!.recording!.id;
  t.equal((await h.recordings.playable('alice', rid)).id, rid);
  await expectDomainError(t, h.recordings.playable('bob', rid), 'forbidden', 'not_your_recording');
  await expectDomainError(t, h.recordings.playable('alice', 'nope'), 'not_found', 'recording_not_found');
});

t.test('a recording Asterisk stops on its own while the call is up: failed on the timeline, the call goes on', async (t) => {
  const { h, id, leg, recorder, answer } = await recordedScene();
  await answer();
  const rid = leg.recording!.id;
  await h.recordings.recordingLost(rid, 'it ended after 0 s');
  t.match([leg.state, leg.recording], ['connected', { state: 'failed', cause: /Asterisk stopped it \(it ended after 0 s\)/ }]);
  t.ok(recorder.calls.includes(`discard ${rid}`), 'what Asterisk holds of it is removed');
  await h.recordings.recordingLost(rid, 'again');
  await h.desk.releaseCall('alice', id);
  await h.recordings.settled();
  await h.store.settled();
  t.same(recordingEntries(h, id), [['system', 'recording'], ['system', 'failed']], 'said once; nothing is collected after the call');
  t.notOk(recorder.calls.includes(`collect ${rid}`));
});

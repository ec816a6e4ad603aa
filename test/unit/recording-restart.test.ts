// The controller stops (kill -9) while a recording starts, and the call goes on in Asterisk: after the
// restart (a second harness on the same store, the same Asterisk) the recording is found as it was left.
// Its name is stored before Asterisk is asked to record, so a file Asterisk holds is the call's, never
// one of nobody's that reclaim() deletes; a name stored for a recording Asterisk never began says so.
import t from 'tap';
import type { RecordingRef } from '../../src/domain/ports.ts';
import { eventually } from '../helpers/eventually.ts';
import { FakeRecorder, FakeTelephony } from '../helpers/fake-media.ts';
import { activeChat, makeCenter } from '../helpers/fakes.ts';

// Alice's recorded call, its customer answering while `start` (Asterisk's answer to "record") never
// comes back: the controller stopped then. `asteriskRecords`: whether Asterisk began the file.
async function stoppedWhileStarting(asteriskRecords: boolean) {
  const recorder = new FakeRecorder();
  const realStart = recorder.start.bind(recorder);
  recorder.start = async (legId: string, ref: RecordingRef) => {
    recorder.calls.push(`start ${legId} ${ref.recordingId}`);
    if (asteriskRecords) recorder.holding.set(ref.recordingId, ref);
    return new Promise<void>(() => {});
  };
  const first = await recordingCenter(recorder);
  const { interaction } = await activeChat(first, 'alice');
  const id = interaction.id;
  const leg = await first.desk.callCustomer('alice', id);
  await first.desk.onCallEvent(id, leg.id, 'agent_answered');
  void first.desk.onCallEvent(id, leg.id, 'customer_answered');
  await eventually('Asterisk asked to record', () => recorder.calls.find((c) => c.startsWith('start ')));
  await first.store.settled();
  recorder.start = realStart;
  // The restart: what the store holds, and Asterisk as it is.
  const second = await recordingCenter(recorder, first.store);
  const legNow = () => second.interactions.get(id)!.callLegs.find((l) => l.id === leg.id)!;
  const entries = async () => {
    await second.store.settled();
    return second.store.entriesOf(id).filter((e) => e.kind === 'recording').map((e) => e.data as { id: string; state: string; cause: string | null });
  };
  return { second, recorder, id, legNow, entries };
}

async function recordingCenter(recorder: FakeRecorder, store?: Awaited<ReturnType<typeof makeCenter>>['store']) {
  const h = await makeCenter({ telephony: new FakeTelephony(), recorder, ...(store ? { store } : {}) });
  await h.directory.saveService({ ...(await h.directory.getService('roadside'))!, recordCalls: true });
  return h;
}

t.test("stopped after Asterisk began the file: the file is the call's, left while the call goes on and stored after it", async (t) => {
  const { second, recorder, id, legNow, entries } = await stoppedWhileStarting(true);
  const rid = legNow().recording?.id;
  t.ok(rid, 'the call leg came back with its recording');
  t.match(legNow().recording, { state: 'recording' });

  await second.recordings.reclaim();
  t.ok(recorder.holding.has(rid!), "reclaim leaves Asterisk's file of a call still up");
  t.notOk(recorder.calls.includes(`discard ${rid}`), 'nothing is deleted');

  await second.desk.releaseCall('alice', id);
  await second.recordings.settled();
  t.match(legNow().recording, { state: 'stopped', cause: null });
  t.ok(await second.recordingFiles.recordingInfo(rid!), 'the whole call is stored');
  t.same((await entries()).map((e) => e.state), ['recording', 'stopped'], 'the timeline: Recording, then its player');
});

t.test('stopped before Asterisk began the file: after the restart the call says the recording never started, and is recorded anew from then', async (t) => {
  const { second, recorder, legNow, entries } = await stoppedWhileStarting(false);
  const lost = legNow().recording!.id;
  await second.recordings.reclaim();
  const said = await entries();
  t.same(said.map((e) => e.state), ['recording', 'failed', 'recording'], 'Recording, why it failed, Recording again');
  t.match(said[1], { id: lost, cause: /never started/ });
  const anew = legNow().recording!;
  t.not(anew.id, lost, 'a new recording');
  t.match(anew, { state: 'recording' });
  t.ok(recorder.holding.has(anew.id), 'that Asterisk records');
});

t.test('a reclaim while a recording is starting leaves it alone (its start is not yet answered, so it is not yet held)', async (t) => {
  const recorder = new FakeRecorder();
  const realStart = recorder.start.bind(recorder);
  let answer = () => {};
  recorder.start = (legId: string, ref: RecordingRef) =>
    new Promise<void>((resolve) => {
      answer = () => void realStart(legId, ref).then(resolve);
    });
  const h = await recordingCenter(recorder);
  const { interaction } = await activeChat(h, 'alice');
  const leg = await h.desk.callCustomer('alice', interaction.id);
  await h.desk.onCallEvent(interaction.id, leg.id, 'agent_answered');
  const answered = h.desk.onCallEvent(interaction.id, leg.id, 'customer_answered');
  await eventually('the recording being started', () => h.store.entriesOf(interaction.id).find((e) => e.kind === 'recording'));
  await h.recordings.reclaim();
  answer();
  await answered;
  t.match(leg.recording, { state: 'recording' }, 'still recording');
  t.ok(recorder.holding.has(leg.recording!.id), 'in Asterisk');
  await h.store.settled();
  t.same(h.store.entriesOf(interaction.id).filter((e) => e.kind === 'recording').map((e) => (e.data as { state: string }).state), ['recording'], 'and said once');
});

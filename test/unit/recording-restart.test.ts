// The controller stops (kill -9) while a recording starts, and the call goes on in Asterisk: after the
// restart (a second harness on the same store, the same Asterisk) the recording is found as it was left.
// Its name is stored before Asterisk is asked to record, so a file Asterisk holds is the call's, never
// one of nobody's that reclaim() deletes.
import t from 'tap';
import type { RecordingRef } from '../../src/domain/ports.ts';
import { eventually } from '../helpers/eventually.ts';
import { FakeRecorder, FakeTelephony } from '../helpers/fake-media.ts';
import { activeChat, makeCenter } from '../helpers/fakes.ts';

// Alice's recorded call, its customer answering while `start` (Asterisk's answer to "record") never
// comes back: the controller stopped then, Asterisk having begun the file.
async function stoppedWhileStarting() {
  const recorder = new FakeRecorder();
  const realStart = recorder.start.bind(recorder);
  recorder.start = async (legId: string, ref: RecordingRef) => {
    recorder.calls.push(`start ${legId} ${ref.recordingId}`);
    recorder.holding.set(ref.recordingId, ref);
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
  const { second, recorder, id, legNow, entries } = await stoppedWhileStarting();
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

t.test("a store that fails as the recording starts does not stop it: Asterisk records, and the call's next write stores its name", async (t) => {
  const recorder = new FakeRecorder();
  const h = await recordingCenter(recorder);
  const { interaction } = await activeChat(h, 'alice');
  const leg = await h.desk.callCustomer('alice', interaction.id);
  await h.desk.onCallEvent(interaction.id, leg.id, 'agent_answered');
  const append = h.store.appendEntry.bind(h.store);
  h.store.appendEntry = (entry, rec) => (entry.kind === 'recording' ? Promise.reject(new Error('the store is briefly away')) : append(entry, rec));
  await h.desk.onCallEvent(interaction.id, leg.id, 'customer_answered');
  h.store.appendEntry = append;
  t.match(leg.recording, { state: 'recording' }, 'recording');
  t.ok(recorder.holding.has(leg.recording!.id), 'in Asterisk');
  t.ok(h.events.some((e) => e.type === 'store_failed'), 'the failed write is reported');
  await h.desk.releaseCall('alice', interaction.id);
  await h.recordings.settled();
  t.match(leg.recording, { state: 'stopped' }, 'stored after the call');
  t.ok(await h.recordingFiles.recordingInfo(leg.recording!.id));
});

// The controller stopped after the call's answer was stored and before its recording was decided: the
// next one (a restart, a new leader) decides it once Asterisk is reached again.
t.test('stopped before the recording of an answered call was decided: it starts once Asterisk is reached', async (t) => {
  const recorder = new FakeRecorder();
  const first = await recordingCenter(recorder);
  const { interaction } = await activeChat(first, 'alice');
  const id = interaction.id;
  const leg = await first.desk.callCustomer('alice', id);
  await first.desk.onCallEvent(id, leg.id, 'agent_answered');
  first.directory.getService = () => new Promise(() => {}); // the controller stops while it looks
  void first.desk.onCallEvent(id, leg.id, 'customer_answered');
  await eventually('the answer stored', async () => {
    await first.store.settled();
    return (await first.store.getInteraction(id))?.callLegs.find((l) => l.id === leg.id)?.state === 'connected' ? true : undefined;
  });
  t.notOk(recorder.calls.some((c) => c.startsWith('start ')), 'Asterisk was never asked to record');

  const second = await recordingCenter(recorder, first.store);
  const legNow = () => second.interactions.get(id)!.callLegs.find((l) => l.id === leg.id)!;
  t.equal(legNow().recording, undefined, 'the call came back with no recording decided');
  await second.recordings.reclaim();
  t.match(legNow().recording, { state: 'recording' }, 'recorded from now on');
  t.ok(recorder.calls.some((c) => c.startsWith(`start ${leg.id}`)), 'Asterisk is asked to record the call');
});

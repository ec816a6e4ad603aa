// What Asterisk still holds of ours when it is reached again (CallRecordings.reclaim): the recording of
// a call released while it was away is stored then, on a later timeline entry; ours that belong to
// nothing known are deleted from it; a live call's recording is left alone.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { recordingNameOf, recordingOfName } from '../../src/ari/calls/channel-names.ts';
import { RecordingFileGone } from '../../src/domain/recording.ts';
import { recordedCall as recordedCallScene } from '../helpers/recorded-call.ts';

async function recordedCall() {
  const scene = await recordedCallScene();
  const { h, id, leg } = scene;
  const entries = async () => {
    await h.store.settled();
    return h.store.entriesOf(id).filter((e) => e.kind === 'recording').map((e) => (e.data as { state: string }).state);
  };
  return { ...scene, entries, rid: leg.recording!.id };
}

// Released while Asterisk is away for longer than a collect waits: the file stays there.
async function releasedWhileAway(scene: Awaited<ReturnType<typeof recordedCall>>) {
  const collect = scene.recorder.collect.bind(scene.recorder);
  scene.recorder.collect = async () => Promise.reject(new Error('Asterisk is not reachable (ARI down)'));
  await scene.h.desk.releaseCall('alice', scene.id);
  await scene.h.recordings.settled();
  return () => void (scene.recorder.collect = collect);
}

t.test('released while Asterisk was away: "not stored yet", then stored once it is back, a later entry with the file', async (t) => {
  const scene = await recordedCall();
  const { h, leg, recorder, entries, rid } = scene;
  const back = await releasedWhileAway(scene);
  t.match(leg.recording, { state: 'not_stored', cause: /not reachable/ });
  t.same(await entries(), ['recording', 'not_stored'], 'the timeline says it is not stored yet');
  t.ok(recorder.holding.has(rid), 'the file is left in Asterisk');

  back();
  await h.recordings.reclaim();
  await h.recordings.settled();
  t.match(leg.recording, { state: 'stopped', cause: null });
  t.same(await entries(), ['recording', 'not_stored', 'stopped'], 'a later entry: the player');
  t.ok(await h.recordingFiles.recordingInfo(rid), 'stored');
  t.notOk(recorder.holding.has(rid), 'and deleted from Asterisk after');
});

t.test('still away at the next try: said once; a file found unusable: "Recording failed", and deleted', async (t) => {
  const scene = await recordedCall();
  const { h, leg, recorder, entries, rid } = scene;
  await releasedWhileAway(scene);
  await h.recordings.reclaim();
  await h.recordings.settled();
  t.same(await entries(), ['recording', 'not_stored'], 'no second "not stored yet"');

  recorder.collect = async () => Promise.reject(new RecordingFileGone('its file in Asterisk holds no sound'));
  await h.recordings.reclaim();
  await h.recordings.settled();
  t.match(leg.recording, { state: 'failed', cause: /holds no sound/ });
  t.same(await entries(), ['recording', 'not_stored', 'failed']);
  t.notOk(recorder.holding.has(rid), 'the unusable file is deleted from Asterisk');
});

t.test("ours that belong to nothing known (no such interaction, no such recording in it) are deleted; a live call's recording is left alone", async (t) => {
  const { h, id, recorder, rid } = await recordedCall();
  recorder.holding.set('lost-1', { interactionId: 'no-such-interaction', recordingId: 'lost-1' });
  recorder.holding.set('lost-2', { interactionId: id, recordingId: 'lost-2' });
  await h.recordings.reclaim();
  await h.recordings.settled();
  t.same([...recorder.holding.keys()], [rid], "only the live call's recording is left");
  t.notOk(recorder.calls.some((c) => c.startsWith('collect')), 'nothing is collected while its call is up');
});

t.test("Asterisk's names: ours carry the prefix, the interaction and the recording; any other name is not ours", async (t) => {
  const ref = { interactionId: randomUUID(), recordingId: randomUUID() };
  t.same(recordingOfName(recordingNameOf(ref)), ref, 'read back as named');
  for (const name of [ref.recordingId, 'greeting-main', 'cc-leg-x', `cc-rec-${ref.interactionId}`, `cc-rec-a_b_c`, 'cc-rec-_b'])
    t.equal(recordingOfName(name), undefined, `${name}: not ours`);
});

t.test('a second collect that read the ended chat before the first stored it (two reclaims overlapping) leaves the stored recording as it is', async (t) => {
  const scene = await recordedCall();
  const { h, id, recorder, entries, rid } = scene;
  const back = await releasedWhileAway(scene);
  await h.center.disconnect('alice', id);
  await h.store.settled();
  const find = h.interactions.find.bind(h.interactions);
  const stale = structuredClone(await find(id));
  back();
  await h.recordings.reclaim();
  await h.recordings.settled();
  t.same(await entries(), ['recording', 'not_stored', 'stopped'], 'stored by the first');

  // The second had listed the file before the first deleted it, and read the chat before it was stored.
  recorder.holding.set(rid, { interactionId: id, recordingId: rid });
  recorder.collect = async () => Promise.reject(new RecordingFileGone('its file is gone from Asterisk'));
  let reads = 0;
  h.interactions.find = async (interactionId: string) => (interactionId === id && reads++ === 0 ? stale : find(interactionId));
  await h.recordings.reclaim();
  await h.recordings.settled();
  t.same(await entries(), ['recording', 'not_stored', 'stopped'], 'no "Recording failed" after the player');
  t.match((await find(id))?.callLegs[0]?.recording, { state: 'stopped' }, 'the stored state stands');
  t.ok(await h.recordingFiles.recordingInfo(rid), 'and the file with it');
});

t.test("stored but its outcome not written (the store failed): left as it was, then stored and said at the next try", async (t) => {
  const scene = await recordedCall();
  const { h, leg, recorder, entries, rid } = scene;
  const collect = recorder.collect.bind(recorder);
  // The store fails right after the file is read from Asterisk: the write of "stopped" is refused.
  recorder.collect = async (ref) => {
    h.store.failNextAppends(new Error('the store is briefly unavailable'));
    recorder.collect = collect;
    return collect(ref);
  };
  await h.desk.releaseCall('alice', scene.id);
  await h.recordings.settled();
  t.same(await entries(), ['recording'], 'nothing said yet');
  t.not(leg.recording!.state, 'stopped', 'not taken as stored and said');
  t.ok(recorder.holding.has(rid), 'the file is left in Asterisk');

  await h.recordings.reclaim();
  await h.recordings.settled();
  t.same(await entries(), ['recording', 'stopped'], 'the next try says it, with its player');
  t.notOk(recorder.holding.has(rid), 'and deletes it from Asterisk after');
});

// The names AriRecorder gives recordings in Asterisk, against an in-memory stand-in for ARI's
// recordings (what a real Asterisk cannot be made to hold on cue: a recording an earlier release named).
// Ours are cc-rec-<interaction>_<recording>; one begun before that naming (a rolling upgrade mid-call)
// is still paused, resumed and deleted by its bare id; held() lists ours only.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import type { Ari } from '../../src/ari/client.ts';
import { recordingNameOf } from '../../src/ari/calls/channel-names.ts';
import { AriRecorder } from '../../src/ari/calls/recordings.ts';
import { AriHttpError } from '../../src/ari/errors.ts';

function spool(names: string[]) {
  const held = new Set(names);
  const done: string[] = [];
  const act = (what: string) => async ({ recordingName }: { recordingName: string }) => {
    if (!held.has(recordingName)) throw new AriHttpError(404, '{"message":"Recording not found"}');
    done.push(`${what} ${recordingName}`);
    if (what === 'delete') held.delete(recordingName);
  };
  const recordings = { mute: act('mute'), unmute: act('unmute'), deleteStored: act('delete'), listStored: async () => [...held].map((name) => ({ name, format: 'wav' })) };
  const recorder = new AriRecorder({ ari: () => ({ recordings }) as unknown as Ari, format: 'wav' });
  return { recorder, held, done };
}

t.test("a recording named by this release and one named by the one before are each found by their name", async (t) => {
  const ours = { interactionId: randomUUID(), recordingId: randomUUID() };
  const older = { interactionId: randomUUID(), recordingId: randomUUID() };
  const { recorder, held, done } = spool([recordingNameOf(ours), older.recordingId]);
  await recorder.pause(ours);
  await recorder.pause(older);
  await recorder.resume(older);
  t.same(done, [`mute ${recordingNameOf(ours)}`, `mute ${older.recordingId}`, `unmute ${older.recordingId}`]);
  await recorder.discard(older);
  await recorder.discard(older);
  t.same([...held], [recordingNameOf(ours)], 'deleted by its bare id; a second delete of what is gone is no error');
  const refused = await recorder.pause(older).then(() => null, (err: unknown) => err);
  t.equal((refused as AriHttpError | null)?.status, 404, 'a Pause of what Asterisk does not hold is refused as Asterisk refused it');
});

t.test('held(): the recordings of ours in the spool, never a file named otherwise', async (t) => {
  const ours = { interactionId: randomUUID(), recordingId: randomUUID() };
  const { recorder } = spool([recordingNameOf(ours), randomUUID(), 'greeting-main', 'cc-leg-x']);
  t.same(await recorder.held(), [ours]);
});

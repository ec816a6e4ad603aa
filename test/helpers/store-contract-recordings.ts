// The store contract, continued (store-contract.ts runs these): call recordings, whatever the engine.
import type { Test } from 'tap';
import type { Fresh } from './store-contract-channels.ts';

const T0 = 1_700_000_000_000;
const id = (n: number) => `5eed0000-0000-4000-8000-${String(n).padStart(12, '0')}`;

export function recordingContracts(t: Test, fresh: Fresh): void {
  t.test('recordings: the bytes saved are read back whole or by range, across a reopen; an unknown id is ENOENT', async (t) => {
    const db = await fresh(t);
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256);
    await db.recordings.saveRecording({ id: id(1), interactionId: 'i-1', contentType: 'audio/wav', size: 0, recordedAt: T0 }, bytes);
    t.same(await db.recordings.recordingInfo(id(1)), { id: id(1), interactionId: 'i-1', contentType: 'audio/wav', size: 70_000, recordedAt: T0 }, 'its size is its bytes');
    t.same(await db.recordings.readRecording(id(1)), Buffer.from(bytes), 'every byte');
    t.same(await db.recordings.readRecording(id(1), { start: 100, end: 199 }), Buffer.from(bytes.subarray(100, 200)), 'a range, both ends included');
    t.same(await db.recordings.readRecording(id(1), { start: 69_990, end: 69_999 }), Buffer.from(bytes.subarray(69_990)), 'the last bytes');
    t.equal(await db.recordings.recordingInfo(id(9)), undefined);
    await t.rejects(db.recordings.readRecording(id(9)), { code: 'ENOENT' }, 'an id never saved');
    const again = await db.reopen();
    t.same(await again.recordings.readRecording(id(1), { start: 0, end: 3 }), Buffer.from(bytes.subarray(0, 4)), 'after the store is opened again');
  });

  t.test('recordings: the retention sweep deletes those created before the cutoff, and only those', async (t) => {
    const db = await fresh(t);
    const day = 86_400_000;
    for (const [n, age] of [[1, 40], [2, 31], [3, 29], [4, 1]] as const) {
      await db.recordings.saveRecording({ id: id(n), interactionId: 'i-1', contentType: 'audio/wav', size: 3, recordedAt: T0 - age * day }, Uint8Array.from([n, n, n]));
    }
    t.same((await db.recordings.deleteRecordingsBefore(T0 - 30 * day)).sort(), [id(1), id(2)], 'the two older than 30 days');
    t.equal(await db.recordings.recordingInfo(id(1)), undefined);
    await t.rejects(db.recordings.readRecording(id(2)), { code: 'ENOENT' }, 'its bytes are gone too');
    t.same(await db.recordings.readRecording(id(3)), Buffer.from([3, 3, 3]), 'the younger ones stay');
    t.same(await db.recordings.deleteRecordingsBefore(T0 - 30 * day), [], 'a second sweep finds nothing');
  });
}

// Retention: the server (the leader) deletes call recordings older than RECORDING_RETENTION_DAYS from
// the real store, rows and files, and keeps the younger ones.
import { access, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openStores } from '../../src/store/open-stores.ts';
import { eventually } from '../helpers/eventually.ts';
import { withServer } from '../helpers/fixtures.ts';
import { logEntries, removeDir } from '../helpers/server.ts';

const DAY = 86_400_000;
const OLD = 'a0d00000-0000-4000-8000-000000000001';
const YOUNG = 'b0d00000-0000-4000-8000-000000000002';

const open = (dataDir: string) =>
  openStores({ dataDir }, (err) => {
    throw err;
  });
const exists = (path: string) => access(path).then(() => true, () => false);

t.test('recordings past RECORDING_RETENTION_DAYS are deleted by the server, rows and files; younger ones stay', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mcc-retention-'));
  t.teardown(() => removeDir(dataDir));
  const before = await open(dataDir);
  const now = Date.now();
  await before.recordings.saveRecording({ id: OLD, interactionId: 'i-1', contentType: 'audio/wav', size: 0, recordedAt: now - 8 * DAY }, Buffer.from('old call'));
  await before.recordings.saveRecording({ id: YOUNG, interactionId: 'i-2', contentType: 'audio/wav', size: 0, recordedAt: now - 6 * DAY }, Buffer.from('young call'));
  await before.close();
  t.ok(await exists(join(dataDir, 'recordings', OLD)), 'the old file is there before');

  const server = await withServer(t, { dataDir, env: { RECORDING_RETENTION_DAYS: '7' } });
  await eventually('the retention sweep', () => (logEntries(server, 'call recordings past their retention deleted')[0] as { deleted?: number } | undefined)?.deleted, 10_000);
  t.match(logEntries(server, 'call recordings past their retention deleted')[0], { deleted: 1 }, 'one recording deleted');
  t.notOk(await exists(join(dataDir, 'recordings', OLD)), 'its file is gone');
  t.ok(await exists(join(dataDir, 'recordings', YOUNG)), 'the younger file stays');
  await server.stop();

  const after = await open(dataDir);
  t.teardown(() => after.close());
  t.equal(await after.recordings.recordingInfo(OLD), undefined, 'its row is gone');
  t.same(await after.recordings.readRecording(YOUNG), Buffer.from('young call'), 'the younger one reads whole');
});

t.test('RECORDING_RETENTION_DAYS must be a positive number, RECORDING_FORMAT one a browser plays: a clear error at start', async (t) => {
  const { loadConfig } = await import('../../src/config.ts');
  t.throws(() => loadConfig({ RECORDING_RETENTION_DAYS: '0' }), /RECORDING_RETENTION_DAYS: expected a positive number, got "0"/);
  t.throws(() => loadConfig({ RECORDING_RETENTION_DAYS: 'ninety' }), /expected a positive number/);
  t.equal(loadConfig({}).recordingRetentionMs, 90 * DAY, '90 days by default');
  t.equal(loadConfig({ RECORDING_RETENTION_DAYS: '0.5' }).recordingRetentionMs, DAY / 2);
  t.throws(() => loadConfig({ RECORDING_FORMAT: 'gsm' }), /RECORDING_FORMAT must be wav or wav16/, 'only formats a browser plays');
});

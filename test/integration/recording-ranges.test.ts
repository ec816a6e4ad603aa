// GET /recordings/{id} with byte ranges, through the real server and store (a recording seeded in the
// SQLite store between two starts): what a player asks for when it seeks, or reads a short file's end.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openStores } from '../../src/store/open-stores.ts';
import { interactionRecord } from '../helpers/fakes.ts';
import { login, withServer } from '../helpers/fixtures.ts';
import { removeDir } from '../helpers/server.ts';

const RECORDING = 'c0d00000-0000-4000-8000-000000000003';
const INTERACTION = 'c0d00000-0000-4000-8000-000000000004';
const BYTES = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 251));

t.test('byte ranges of a 300-byte recording: seeks, a suffix longer than the file, a range past its end', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mcc-ranges-'));
  t.teardown(() => removeDir(dataDir));
  // The first start writes the demo services and agents the interaction refers to.
  await (await withServer(t, { dataDir })).stop();
  const stores = await openStores({ dataDir }, (err) => {
    throw err;
  });
  const ended = Date.now();
  try {
    await stores.store.saveInteraction(interactionRecord({ id: INTERACTION, state: 'ended', agentId: 'agent1', createdAt: ended - 60_000, acceptedAt: ended - 50_000, endedAt: ended, endedBy: 'agent' }));
    await stores.recordings.saveRecording({ id: RECORDING, interactionId: INTERACTION, contentType: 'audio/wav', size: BYTES.length, recordedAt: ended }, BYTES);
  } finally {
    await stores.close();
  }
  const server = await withServer(t, { dataDir });
  const supervisor = await login(server, 'supervisor1');
  const get = (range?: string) => fetch(`${server.url}/recordings/${RECORDING}`, { headers: { cookie: supervisor.cookie, ...(range ? { range } : {}) } });
  const answer = async (range?: string) => {
    const res = await get(range);
    return { status: res.status, contentRange: res.headers.get('content-range'), body: Buffer.from(await res.arrayBuffer()) };
  };

  t.match(await answer(), { status: 200, contentRange: null, body: BYTES }, 'no range: the whole file');
  t.match(await answer('bytes=100-199'), { status: 206, contentRange: 'bytes 100-199/300', body: BYTES.subarray(100, 200) }, 'a seek');
  t.match(await answer('bytes=-100'), { status: 206, contentRange: 'bytes 200-299/300', body: BYTES.subarray(200) }, 'the last 100 bytes');
  t.match(await answer('bytes=-500'), { status: 206, contentRange: 'bytes 0-299/300', body: BYTES }, 'a suffix longer than the file is the whole file (RFC 7233 2.1)');
  t.match(await answer('bytes=-300'), { status: 206, contentRange: 'bytes 0-299/300', body: BYTES }, 'a suffix as long as the file');
  t.match(await answer('bytes=400-'), { status: 416, contentRange: 'bytes */300' }, 'a range past the end is refused');
  t.match(await answer('bytes=-0'), { status: 416, contentRange: 'bytes */300' }, 'an empty suffix is refused');
});

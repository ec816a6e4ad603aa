// The timeline's (interaction, seq) index is written a chat at a time (migration 007): a chat reads
// the same whether its newest entries wait in memory, are being written, are on disk, or were left
// unwritten by a stop, and no seq is stored twice. On a real SQLite file.
import { DatabaseSync } from 'node:sqlite';
import t from 'tap';
import { message, openStore, seed, tempFile } from '../helpers/store.ts';

const seqsOf = (entries: { seq: number }[]) => entries.map((e) => e.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

// What is on disk, read with a connection of its own.
function onDisk(file: string): { indexed: number; watermark: number; rows: number } {
  const db = new DatabaseSync(file);
  try {
    const one = (sql: string) => Number(Object.values(db.prepare(sql).get()!)[0]);
    return {
      indexed: one('SELECT COUNT(*) FROM timeline_index'),
      watermark: one('SELECT watermark FROM timeline_index_state'),
      rows: one('SELECT COUNT(*) FROM timeline'),
    };
  } finally {
    db.close();
  }
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

t.test('interleaved chats read back whole and in order while their index entries wait and while they are written', async (t) => {
  const file = await tempFile(t);
  const { database, store } = openStore(file, { chunk: 4, sweepMs: 1e9, budget: 4 }); // one chat per index write
  t.teardown(() => database.close());
  const chats = ['chat-1', 'chat-2', 'chat-3'];
  for (const id of chats) await seed(store, database.db, id);

  // Ten messages each, all in flight at once: one commit, then each chat's ten entries go to the index.
  await Promise.all(range(1, 10).flatMap((seq) => chats.map((id) => store.appendEntry(message(id, seq, `c-${seq}`)))));
  for (const id of chats) t.same(seqsOf(await store.listEntries(id)), range(1, 10), `${id} right after its messages commit`);
  t.same(seqsOf(await store.listEntries('chat-2', { afterSeq: 7 })), [8, 9, 10], 'reading on from a seq');

  await until('the index entries are written', () => onDisk(file).indexed === 30);
  for (const id of chats) t.same(seqsOf(await store.listEntries(id)), range(1, 10), `${id} once its entries are in the index`);

  // Three more for one chat: fewer than a chunk, so they wait in memory next to the indexed ten.
  await Promise.all([11, 12, 13].map((seq) => store.appendEntry(message('chat-1', seq, `c-${seq}`))));
  t.same(seqsOf(await store.listEntries('chat-1')), range(1, 13), 'indexed and waiting entries together, once each');
  t.equal((await store.findEntryByClientId('chat-1', 'c-12'))?.seq, 12, 'a waiting entry is found by its client id');
  t.equal((await store.findEntryByClientId('chat-1', 'c-2'))?.seq, 2, 'an indexed entry too');
  t.equal(onDisk(file).indexed, 30, 'the three still wait');
});

t.test('entries left out of the index by a stop are indexed on the next start', async (t) => {
  const file = await tempFile(t);
  const first = openStore(file, { chunk: 1000, sweepMs: 1e9 });
  await seed(first.store, first.database.db, 'chat-r');
  for (const seq of range(1, 5)) await first.store.appendEntry(message('chat-r', seq, `r-${seq}`));
  await first.database.close();
  t.match(onDisk(file), { indexed: 0, rows: 5 }, 'the premise: five rows stored, none of them in the index');

  const again = openStore(file);
  t.teardown(() => again.database.close());
  t.match(onDisk(file), { indexed: 5, rows: 5 }, 'indexed on start');
  t.same(seqsOf(await again.store.listEntries('chat-r')), range(1, 5));
  t.equal((await again.store.findEntryByClientId('chat-r', 'r-4'))?.seq, 4, 'a retried send still finds its message');
  t.equal((await again.store.loadOpenInteractions())[0]?.lastSeq, 5, 'the next message goes after them');
  await t.rejects(again.store.appendEntry(message('chat-r', 5, 'r-5b')), /already stored/, 'a seq already on disk is refused');
  await again.store.appendEntry(message('chat-r', 6, 'r-6'));
  t.same(seqsOf(await again.store.listEntries('chat-r')), range(1, 6));
});

t.test('a sweep writes the entries that waited a sweep period and moves the watermark, never past a row not in the index', async (t) => {
  const file = await tempFile(t);
  let clock = 0;
  const { database, store } = openStore(file, { chunk: 1000, sweepMs: 5000, now: () => clock });
  t.teardown(() => database.close());
  await seed(store, database.db, 'chat-a');
  await seed(store, database.db, 'chat-b');
  await store.appendEntry(message('chat-a', 1, null)); // rowid 1
  await store.appendEntry(message('chat-a', 2, null)); // rowid 2
  t.match(onDisk(file), { indexed: 0, watermark: 0 }, 'before the sweep, nothing is indexed and the watermark stays');

  clock = 5000;
  await store.appendEntry(message('chat-b', 1, null)); // rowid 3; its commit is the first after the sweep is due
  await until('the sweep is written', () => onDisk(file).indexed === 2);
  t.equal(onDisk(file).watermark, 2, 'chat-a is indexed; chat-b has just begun to wait, and the watermark stops before it');

  clock = 10_000;
  await store.appendEntry(message('chat-a', 3, null)); // rowid 4
  await until('the next sweep is written', () => onDisk(file).indexed === 3);
  t.equal(onDisk(file).watermark, 3, 'chat-b is indexed, chat-a 3 waits after the watermark');
  t.same(seqsOf(await store.listEntries('chat-a')), [1, 2, 3]);
  t.same(seqsOf(await store.listEntries('chat-b')), [1]);
});

t.test('a failed index write keeps its entries readable and writes them with the next sweep', async (t) => {
  const file = await tempFile(t);
  let clock = 0;
  const errors: string[] = [];
  const { database, store } = openStore(file, { chunk: 2, sweepMs: 5000, now: () => clock }, (err) => errors.push((err as Error).message));
  t.teardown(() => database.close());
  await seed(store, database.db, 'chat-f');
  database.db.exec("CREATE TRIGGER refuse BEFORE INSERT ON timeline_index BEGIN SELECT RAISE(ABORT, 'disk says no'); END");

  await Promise.all([1, 2].map((seq) => store.appendEntry(message('chat-f', seq, null))));
  await until('the index write fails', () => errors.length > 0);
  t.match(errors[0], /disk says no/, 'the failure is reported');
  t.same(seqsOf(await store.listEntries('chat-f')), [1, 2], 'the entries are still read');

  database.db.exec('DROP TRIGGER refuse');
  clock = 5000;
  await store.appendEntry(message('chat-f', 3, null));
  await until('the sweep writes them', () => onDisk(file).indexed === 3);
  t.same(seqsOf(await store.listEntries('chat-f')), [1, 2, 3], 'read once each');
  await t.rejects(store.appendEntry(message('chat-f', 2, null)), /already stored/, 'an indexed seq is refused');
});

t.test('a seq that is waiting or being written is refused, and a failed write gives its seq back', async (t) => {
  const file = await tempFile(t);
  const { database, store } = openStore(file, { chunk: 1000, sweepMs: 1e9 });
  t.teardown(() => database.close());
  await seed(store, database.db, 'chat-d');
  const first = store.appendEntry(message('chat-d', 1, null));
  await t.rejects(store.appendEntry(message('chat-d', 1, null)), /already stored/, 'while the first is being written');
  await first;
  await t.rejects(store.appendEntry(message('chat-d', 1, null)), /already stored/, 'while its index entry waits');

  await t.rejects(store.appendEntry({ ...message('no-such-chat', 1, null) }), /FOREIGN KEY/, 'a write the database refuses');
  await store.saveInteraction({ ...(await store.getInteraction('chat-d'))!, id: 'no-such-chat' });
  await store.appendEntry(message('no-such-chat', 1, null));
  t.same(seqsOf(await store.listEntries('no-such-chat')), [1], 'its seq can be written once the write can succeed');
  t.equal(onDisk(file).rows, 2);
});

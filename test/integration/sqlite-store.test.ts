// The embedded store on a real SQLite file: what a restart reads back, and the upgrade of databases
// written before the timeline was stored in arrival order (migration 005).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import t from 'tap';
import { hash30 } from '../../src/store/sqlite/client-id-index.ts';
import { message, openStore as open, seed, tempFile } from '../helpers/store.ts';

const MIGRATIONS = new URL('../../src/store/migrations/', import.meta.url).pathname;

t.test('messages and their client ids are read back after the database is closed and opened again', async (t) => {
  const file = await tempFile(t);
  const first = open(file);
  await seed(first.store, first.database.db, 'chat-a');
  // Interleaved with another chat, the way concurrent chats arrive.
  await seed(first.store, first.database.db, 'chat-b');
  await Promise.all([
    first.store.appendEntry(message('chat-a', 1, 'client-1')),
    first.store.appendEntry(message('chat-b', 1, 'client-1')),
    first.store.appendEntry(message('chat-a', 2, 'client-2')),
  ]);
  t.equal((await first.store.findEntryByClientId('chat-a', 'client-2'))?.seq, 2, 'found while open');
  await first.database.close();
  t.notOk(existsSync(`${file}-wal`), 'closing folds the WAL into the database file');

  const again = open(file);
  t.teardown(() => again.database.close());
  t.same((await again.store.listEntries('chat-a')).map((e) => [e.seq, e.clientId, e.text]), [
    [1, 'client-1', 'text 1'],
    [2, 'client-2', 'text 2'],
  ]);
  t.equal((await again.store.findEntryByClientId('chat-a', 'client-1'))?.id, 'chat-a-m1', 'a retried send finds the first message');
  t.equal((await again.store.findEntryByClientId('chat-b', 'client-1'))?.id, 'chat-b-m1', 'client ids are per chat');
  t.equal(await again.store.findEntryByClientId('chat-a', 'client-3'), undefined, 'a new client id is new');
  await again.store.appendEntry(message('chat-a', 3, 'client-3'));
  t.equal((await again.store.findEntryByClientId('chat-a', 'client-3'))?.seq, 3, 'learnt once committed');
  await t.rejects(again.store.appendEntry(message('chat-a', 3, 'client-4')), 'a seq is written once');
  t.equal(await again.store.findEntryByClientId('chat-a', 'client-4'), undefined, 'a failed write leaves no client id behind');
});

t.test('a database written before migration 005 keeps its timeline, in order, with client ids', async (t) => {
  const file = await tempFile(t);
  const old = new DatabaseSync(file);
  old.exec('PRAGMA journal_mode = WAL; CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  for (const version of readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql') && f < '005').sort()) {
    old.exec(readFileSync(join(MIGRATIONS, version), 'utf8'));
    old.prepare('INSERT INTO schema_migrations VALUES (?, 0)').run(version);
  }
  old.exec("INSERT INTO services (id, name, auto_dial) VALUES ('roadside', 'Roadside Assistance', 0)");
  old.exec(`INSERT INTO interactions (id, service_id, channel, customer_name, customer_phone, token_hash, state, created_at, context, last_seq)
            VALUES ('old-chat', 'roadside', 'web', 'Ada', '+15551230000', 'x', 'active', 1, '{"fields":{}}', 0)`);
  const insert = old.prepare(`INSERT INTO timeline (interaction_id, seq, id, kind, author, text, client_id, created_at)
                              VALUES ('old-chat', ?, ?, 'message', 'customer', ?, ?, ?)`);
  for (const seq of [2, 1, 3]) insert.run(seq, `old-${seq}`, `before the upgrade ${seq}`, seq === 3 ? null : `old-client-${seq}`, seq);
  old.close();

  const { database, store } = open(file);
  t.teardown(() => database.close());
  t.same((await store.listEntries('old-chat')).map((e) => [e.seq, e.text]), [
    [1, 'before the upgrade 1'],
    [2, 'before the upgrade 2'],
    [3, 'before the upgrade 3'],
  ]);
  t.equal((await store.findEntryByClientId('old-chat', 'old-client-2'))?.id, 'old-2');
  t.equal((await store.loadOpenInteractions())[0]?.lastSeq, 3, 'the next message goes after the old ones');
});

t.test('the checkpoint worker folds committed writes into the database file while it stays open', async (t) => {
  const file = await tempFile(t);
  const { database, store } = open(file);
  t.teardown(() => database.close());
  await seed(store, database.db, 'chat-c');
  const before = statSync(file).size;
  await Promise.all(Array.from({ length: 300 }, (_, i) => store.appendEntry({ ...message('chat-c', i + 1, null), text: 'x'.repeat(1000) })));
  const deadline = Date.now() + 10_000;
  while (statSync(file).size <= before + 200_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.ok(statSync(file).size > before + 200_000, `the database file grew from ${before} to ${statSync(file).size} bytes`);
});

t.test('two client ids that share a hash are still told apart', async (t) => {
  const [first, second] = ['retry-270398', 'retry-818116'];
  t.equal(hash30(first), hash30(second), 'the premise: these two ids have the same 30-bit hash');
  const file = await tempFile(t);
  const { database, store } = open(file);
  t.teardown(() => database.close());
  await seed(store, database.db, 'chat-h');
  await store.appendEntry(message('chat-h', 1, first));
  t.equal(await store.findEntryByClientId('chat-h', second), undefined, 'the second id is new, not a retry of the first');
  await store.appendEntry(message('chat-h', 2, second));
  t.equal((await store.findEntryByClientId('chat-h', second))?.seq, 2, 'and is found once stored');
  t.equal((await store.findEntryByClientId('chat-h', first))?.seq, 1, 'as the first still is');
});

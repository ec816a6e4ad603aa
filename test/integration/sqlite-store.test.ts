// The embedded store on a real SQLite file, beyond the store contract (sqlite-store-contract.test.ts):
// the WAL and its checkpoints, and the upgrade of databases written by earlier versions.
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import t from 'tap';
import { openStores } from '../../src/store/open-stores.ts';
import { SqliteDirectory } from '../../src/store/sqlite/directory-store.ts';
import { message, openStore as open, seed, tempFile } from '../helpers/store.ts';

const MIGRATIONS = new URL('../../src/store/migrations/', import.meta.url).pathname;

// A database as the versions before `version` left it, with one open chat, 'old-chat'.
function databaseBefore(file: string, version: string): DatabaseSync {
  const old = new DatabaseSync(file);
  old.exec('PRAGMA journal_mode = WAL; CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  for (const applied of readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql') && f < version).sort()) {
    old.exec(readFileSync(join(MIGRATIONS, applied), 'utf8'));
    old.prepare('INSERT INTO schema_migrations VALUES (?, 0)').run(applied);
  }
  old.exec("INSERT INTO services (id, name, auto_dial) VALUES ('roadside', 'Roadside Assistance', 0)");
  old.exec(`INSERT INTO interactions (id, service_id, channel, customer_name, customer_phone, token_hash, state, created_at, context, last_seq)
            VALUES ('old-chat', 'roadside', 'web', 'Ada', '+15551230000', 'x', 'active', 1, '{"fields":{}}', 0)`);
  return old;
}

t.test('closing folds the WAL into the database file', async (t) => {
  const file = await tempFile(t);
  const { database, store } = open(file);
  await seed(store, database.db, 'chat-a');
  await store.appendEntry(message('chat-a', 1, 'client-1'));
  await database.close();
  t.notOk(existsSync(`${file}-wal`));
});

t.test('a database written before migration 005 keeps its timeline, in order, with client ids', async (t) => {
  const file = await tempFile(t);
  const old = databaseBefore(file, '005');
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

t.test('a database written with the deferred timeline index (migration 007) keeps every entry, now unique in the database', async (t) => {
  const file = await tempFile(t);
  const old = databaseBefore(file, '008');
  const insert = old.prepare(`INSERT INTO timeline (interaction_id, seq, id, kind, author, text, client_id, created_at)
                              VALUES ('old-chat', ?, ?, 'message', 'customer', ?, ?, ?)`);
  // Rows 1-3 are in the index, row 4 was committed after the watermark (a crash), and 007 let a
  // repeated seq and a repeated client id through.
  for (const [seq, id, clientId] of [[1, 'm1', 'c-1'], [2, 'm2', 'c-2'], [3, 'm3', null], [4, 'm4', 'c-4'], [2, 'm2-again', 'c-9'], [5, 'm5', 'c-1']] as const) {
    insert.run(seq, id, `text of ${id}`, clientId, seq);
  }
  old.exec('INSERT INTO timeline_index (interaction_id, seq, entry_rowid) SELECT interaction_id, seq, rowid FROM timeline WHERE rowid <= 3');
  old.exec('UPDATE timeline_index_state SET watermark = 3');
  old.close();

  const { database, store } = open(file);
  t.teardown(() => database.close());
  t.same((await store.listEntries('old-chat')).map((e) => [e.seq, e.id, e.clientId]), [
    [1, 'm1', 'c-1'],
    [2, 'm2', 'c-2'],
    [3, 'm3', null],
    [4, 'm4', 'c-4'],
    [5, 'm5', null],
  ], 'the first row of a seq, and a client id on its first message only');
  t.equal((await store.findEntryByClientId('old-chat', 'c-4'))?.id, 'm4', 'a row the index had not reached yet');
  t.equal((await store.loadOpenInteractions())[0]?.lastSeq, 5);
  const tables = database.db.prepare("SELECT name FROM sqlite_schema WHERE name LIKE 'timeline_index%'").all();
  t.same(tables, [], 'the index tables are gone');
  await t.rejects(store.appendEntry(message('old-chat', 5, null)), { code: 'seq_taken' }, 'the database refuses a stored seq (seq_taken)');
  await t.rejects(store.appendEntry(message('old-chat', 6, 'c-2')), { code: 'client_id_taken' }, 'and a stored client id');
});

t.test('a database from before migration 010 keeps its agents and roles; they are enabled, services have no SMS number yet', async (t) => {
  const file = await tempFile(t);
  const old = databaseBefore(file, '010');
  old.exec(`INSERT INTO agents (id, display_name, password_hash, service_ids, role) VALUES
            ('boss', 'The Boss', 'scrypt$h1', '["roadside"]', 'admin'), ('ann', 'Ann', 'scrypt$h2', '[]', 'agent')`);
  old.close();

  const { database } = open(file);
  t.teardown(() => database.close());
  const directory = new SqliteDirectory(database.db, database.batcher);
  t.same(await directory.listAgents(), [
    { id: 'ann', displayName: 'Ann', passwordHash: 'scrypt$h2', serviceIds: [], role: 'agent', disabled: false },
    { id: 'boss', displayName: 'The Boss', passwordHash: 'scrypt$h1', serviceIds: ['roadside'], role: 'admin', disabled: false },
  ]);
  t.match(await directory.getService('roadside'), { smsNumber: null, recordCalls: false, disabled: false });
  await directory.saveAgent({ id: 'sue', displayName: 'Sue', passwordHash: 'x', serviceIds: [], role: 'supervisor' });
  t.equal((await directory.getAgent('sue'))?.role, 'supervisor', 'the new role is accepted');
  t.same(await directory.listAudit(10), [], 'an empty audit trail');
});

t.test('a database from before migration 014: a chat transferred and consulted on then is in the history of every agent who held it, in order', async (t) => {
  const file = await tempFile(t);
  const old = databaseBefore(file, '014');
  old.exec(`UPDATE interactions SET state = 'ended', agent_id = 'dora', ended_at = 9, last_seq = 6 WHERE id = 'old-chat'`);
  const entry = old.prepare('INSERT INTO timeline (interaction_id, seq, id, kind, author, agent_id, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  entry.run('old-chat', 1, 'e1', 'accepted', 'agent', 'ann', null, 2);
  entry.run('old-chat', 2, 'e2', 'handoff', 'agent', 'ann', '{"step":"offered","toAgentId":"carl"}', 3);
  entry.run('old-chat', 3, 'e3', 'handoff', 'agent', 'bob', '{"step":"accepted","toAgentId":"bob"}', 4);
  entry.run('old-chat', 4, 'e4', 'handoff', 'agent', 'bob', '{"step":"consulted","toAgentId":"dora"}', 5);
  entry.run('old-chat', 5, 'e5', 'handoff', 'agent', 'bob', '{"step":"completed","toAgentId":"dora"}', 6);
  entry.run('old-chat', 6, 'e6', 'ended', 'agent', 'dora', null, 9);
  old.close();

  const { database, store } = open(file);
  t.teardown(() => database.close());
  t.same([...(await store.listAgentsOf(['old-chat'])).entries()], [['old-chat', ['ann', 'bob', 'dora']]], 'the accept, the accepted transfer and the completed consult, in order');
  t.same((await store.listHistory('ann', { limit: 10 })).map((r) => r.interaction.id), ['old-chat'], 'in the first agent\'s history');
  t.same((await store.listHistory('bob', { limit: 10 })).map((r) => r.interaction.id), ['old-chat']);
  t.same((await store.listHistory('dora', { limit: 10 })).map((r) => r.interaction.id), ['old-chat']);
  t.same(await store.listHistory('carl', { limit: 10 }), [], 'not in that of an agent only offered it');
});

t.test("the retention sweep also deletes old recording files that have no row (a save whose row failed, a sweep cut short)", async (t) => {
  const dataDir = dirname(await tempFile(t));
  const stores = await openStores({ dataDir }, (err) => {
    throw err;
  });
  t.teardown(() => stores.close());
  const day = 86_400_000;
  const now = Date.now();
  const kept = randomUUID();
  await stores.recordings.saveRecording({ id: kept, interactionId: 'chat-1', contentType: 'audio/wav', size: 4, recordedAt: now }, Buffer.from('kept'));
  // A file written 40 days ago whose row was never written.
  const orphan = randomUUID();
  const orphanPath = join(dataDir, 'recordings', orphan);
  writeFileSync(orphanPath, 'lost');
  utimesSync(orphanPath, new Date(now - 40 * day), new Date(now - 40 * day));
  // One as old but with its row: a recording retention has not reached yet (its row says when it was made).
  const young = randomUUID();
  await stores.recordings.saveRecording({ id: young, interactionId: 'chat-2', contentType: 'audio/wav', size: 5, recordedAt: now - day }, Buffer.from('young'));
  utimesSync(join(dataDir, 'recordings', young), new Date(now - 40 * day), new Date(now - 40 * day));

  t.same(await stores.recordings.deleteRecordingsBefore(now - 30 * day), [], 'no row is past retention');
  t.notOk(existsSync(orphanPath), 'the file with no row is deleted');
  t.ok(existsSync(join(dataDir, 'recordings', kept)), 'a recording with its row stays');
  t.ok(existsSync(join(dataDir, 'recordings', young)), 'an old file whose row is younger stays');
});

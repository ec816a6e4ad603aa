// The real server with DATABASE_URL on a real PostgreSQL 15: a chat's message and photo survive a
// restart, and they live in PostgreSQL, not in DATA_DIR: the second server starts on an empty data
// folder of its own, and the first one's folder holds no database and no photo.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import t from 'tap';
import { ApiClient, type MessageJson } from '../helpers/api-client.ts';
import { withServer } from '../helpers/fixtures.ts';
import { PNG } from '../helpers/images.ts';
import { startPostgres } from '../helpers/postgres.ts';
import { logEntries } from '../helpers/server.ts';

const postgres = await startPostgres();
t.teardown(() => postgres.stop());

// The test cluster trusts loopback connections, so any password is accepted: this one must appear in no log.
const PASSWORD = 'pw-never-in-a-log-7f3a';

t.test('with DATABASE_URL a chat\'s message and photo survive a restart, stored in PostgreSQL and not in DATA_DIR', async (t) => {
  const plainUrl = await postgres.newDatabase();
  const url = plainUrl.replace('postgres://app@', `postgres://app:${PASSWORD}@`);
  const env = { DATABASE_URL: url };

  const first = await withServer(t, { env });
  const api = new ApiClient(first.url);
  const health = (await (await fetch(`${first.url}/healthz`)).json()) as { database: unknown };
  t.same(health.database, { engine: 'postgresql', state: 'up' }, '/healthz: the database is PostgreSQL, up');

  const chat = await api.createChat({ name: 'Pia Postgres', context: { fields: { plate: 'PG-15' } } });
  const said = await api.say(chat, 'Stored in PostgreSQL', 'pg-1');
  const upload = await api.upload(chat, { bytes: PNG, type: 'image/png', name: 'engine.png' });
  t.equal(upload.status, 201);
  const photo = (await upload.json()) as MessageJson;
  const before = await api.messages(chat);
  t.same(before.map((m) => m.id), [said.id, photo.id]);

  await first.stop();
  t.notOk(existsSync(join(first.dataDir, 'contact-center.sqlite')), 'no SQLite database in the first server\'s DATA_DIR');
  t.notOk(existsSync(join(first.dataDir, 'attachments')), 'and no photo folder');
  t.same(readdirSync(first.dataDir).filter((f) => /sqlite|attachment/.test(f)), []);

  const second = await withServer(t, { env }); // a new, empty data folder
  t.not(second.dataDir, first.dataDir);
  api.baseUrl = second.url;
  t.same(await api.messages(chat), before, 'the message and the photo are back, with the same ids and order');
  const served = await api.request('GET', photo.attachment!.url, { token: chat.token });
  t.equal(served.status, 200);
  t.same(Buffer.from(await served.arrayBuffer()), PNG, 'the photo\'s bytes are intact');
  t.equal((await api.say(chat, 'Stored in PostgreSQL', 'pg-1')).id, said.id, 'a retried client id still finds its message');

  const db = new pg.Client({ connectionString: plainUrl });
  await db.connect();
  t.teardown(() => db.end());
  const row = await db.query('SELECT text FROM timeline WHERE interaction_id = $1 AND client_id = $2', [chat.id, 'pg-1']);
  t.same(row.rows, [{ text: 'Stored in PostgreSQL' }], 'the message is a row in PostgreSQL');
  const bytes = await db.query('SELECT bytes FROM attachments WHERE id = $1', [photo.attachment!.id]);
  t.same(bytes.rows[0]?.bytes, PNG, 'the photo is a bytea in PostgreSQL');

  for (const server of [first, second]) {
    t.notOk(server.logs().includes(PASSWORD), 'the password in DATABASE_URL is in no log line');
    t.match(logEntries(server, 'database')[0], { engine: 'postgresql', url: /^postgres:\/\/app:\*\*\*@127\.0\.0\.1:\d+\/t_/ }, 'the URL is logged with the password masked');
  }
});

t.test("U+0000 in an address is a clear 400 on PostgreSQL, not a 500, and fails no one else's read", async (t) => {
  const server = await withServer(t, { env: { DATABASE_URL: await postgres.newDatabase() } });
  const api = new ApiClient(server.url);
  const chat = await api.createChat();
  await api.end(chat);
  const bad = ['/api/v1/chats/%00', '/api/v1/chats/a%00b/messages', '/desktop/history?before=1.%00', '/recordings/%00'];
  const ask = (path: string) => fetch(new URL(path, server.url), { headers: { authorization: 'Bearer x' }, redirect: 'manual' });
  for (const path of bad) {
    const res = await ask(path);
    t.same([res.status, ((await res.json()) as { error?: { code?: string } }).error?.code], [400, 'nul_character'], `${path}: 400 nul_character`);
  }
  const reads = Array.from({ length: 20 }, () => api.request('GET', `/api/v1/chats/${chat.id}`, { token: chat.token }).then((r) => r.status));
  await Promise.all(bad.map((path) => ask(path).then((r) => r.text())));
  t.same([...new Set(await Promise.all(reads))], [200], "the customer's own reads, sent meanwhile, are answered");
  t.same(logEntries(server, 'unhandled error'), [], 'nothing logged as an unhandled error');
});

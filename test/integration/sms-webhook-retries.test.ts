// A gateway's retries through the SMS webhook of the real server (SQLite): a long text answered 503
// (another writer took the chat's next seq) is delivered by the retry of its part, once; and the ids
// of texts received are kept seven days, then forgotten by the server at its start.
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import t from 'tap';
import { openStores } from '../../src/store/open-stores.ts';
import { eventually } from '../helpers/eventually.ts';
import { withServer } from '../helpers/fixtures.ts';
import { removeDir } from '../helpers/server.ts';
import { customerTextsIn, queryIn, smsWebhook } from '../helpers/sms-webhook.ts';

const SECRET = `sms-test-${randomUUID()}`;
const ROADSIDE_NO = '+15550009000';
const DAY = 86_400_000;
const env = { SMS_WEBHOOK_SECRET: SECRET, SMS_NUMBERS: `${ROADSIDE_NO}=roadside`, SMS_PART_WAIT_S: '60' };
let phoneCounter = 0;
const newPhone = () => `+1555${String(process.pid % 1000).padStart(3, '0')}${String(++phoneCounter).padStart(4, '0')}`;

async function inbound(url: string, body: Record<string, unknown>) {
  const res = await smsWebhook({ url }, SECRET, 'inbound', body);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

t.test('a long text answered 503 seq_taken is delivered by the gateway retry of its part; a retry after that is a duplicate', async (t) => {
  const server = await withServer(t, { env });
  const from = newPhone();
  t.match(await inbound(server.url, { id: randomUUID(), from, to: ROADSIDE_NO, text: 'hello' }), { status: 200, body: { status: 'delivered' } });
  const [chat] = queryIn<{ id: string }>(server.dataDir, "SELECT id FROM interactions WHERE channel = 'sms' AND customer_phone = ?", from);
  // Another writer (a late commit of the previous leader) stores the chat's next seq.
  const db = new DatabaseSync(join(server.dataDir, 'contact-center.sqlite'));
  db.exec('PRAGMA busy_timeout = 5000');
  db.prepare(
    "INSERT INTO timeline (interaction_id, seq, id, kind, author, text, created_at) SELECT ?, MAX(seq) + 1, ?, 'message', 'customer', 'stored late', 0 FROM timeline WHERE interaction_id = ?",
  ).run(chat!.id, randomUUID(), chat!.id);
  db.close();

  const part = (n: number, text: string) => ({ id: `part-${n}-${randomUUID()}`, from, to: ROADSIDE_NO, text, concat: { ref: 3, part: n, total: 2 } });
  const [one, two] = [part(1, 'my car '), part(2, 'broke down')];
  t.match(await inbound(server.url, one), { status: 200, body: { status: 'part_stored' } });
  t.match(await inbound(server.url, two), { status: 503, body: { error: { code: 'seq_taken' } } }, 'the gateway is told to send again');
  t.same(await inbound(server.url, two), { status: 200, body: { id: two.id, status: 'delivered' } }, 'its retry delivers the text');
  t.same(customerTextsIn(server.dataDir, chat!.id), ['hello', 'stored late', 'my car broke down']);
  t.same(await inbound(server.url, two), { status: 200, body: { id: two.id, status: 'duplicate' } }, 'a retry after delivery is a repeat');
  t.same(await inbound(server.url, one), { status: 200, body: { id: one.id, status: 'duplicate' } });
  t.same(customerTextsIn(server.dataDir, chat!.id), ['hello', 'stored late', 'my car broke down'], 'the customer sees it once');
  t.same(queryIn(server.dataDir, 'SELECT id FROM sms_inbound WHERE pending = 1'), [], 'nothing left for the next start');
});

t.test('ids of texts received more than 7 days ago are forgotten at start: such a text sent again is new; a younger one is still a repeat', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mcc-sms-seen-'));
  t.teardown(() => removeDir(dataDir));
  const from = newPhone();
  const old = { id: `old-${randomUUID()}`, from, to: ROADSIDE_NO, text: 'sent 8 days ago' };
  const young = { id: `young-${randomUUID()}`, from, to: ROADSIDE_NO, text: 'sent 6 days ago' };
  const before = await openStores({ dataDir }, (err) => {
    throw err;
  });
  for (const [sms, age] of [[old, 8], [young, 6]] as const) await before.smsStore.markSeen({ id: sms.id, from, to: ROADSIDE_NO, receivedAt: Date.now() - age * DAY, gateway: 'webhook' });
  await before.close();

  const server = await withServer(t, { env, dataDir });
  await eventually('the old id forgotten', async () => (queryIn(dataDir, 'SELECT id FROM sms_inbound WHERE id = ?', old.id).length === 0 ? true : undefined), 10_000);
  t.same(await inbound(server.url, young), { status: 200, body: { id: young.id, status: 'duplicate' } }, 'within 7 days: a repeat');
  t.same(await inbound(server.url, old), { status: 200, body: { id: old.id, status: 'delivered' } }, 'after 7 days: a new text');
  const [chat] = queryIn<{ id: string }>(dataDir, "SELECT id FROM interactions WHERE channel = 'sms' AND customer_phone = ?", from);
  t.same(customerTextsIn(dataDir, chat!.id), ['sent 8 days ago']);
});

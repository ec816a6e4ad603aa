// The admins' interactions list and CSV export against the real server and a real SQLite file: what a
// row holds, the date filter, CSV quoting and formula neutralising, and who may see it.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import t from 'tap';
import { agentGet, agentPost } from '../helpers/desktop-client.ts';
import { acceptedChat, withDesk } from '../helpers/fixtures.ts';

const { server, api, agent1, agent2 } = await withDesk(t);
const today = new Date().toISOString().slice(0, 10);

t.test('an ended, wrapped-up chat is listed and exported; a customer name cannot become a formula', async (t) => {
  const chat = await acceptedChat(t, api, agent1, { name: '=HYPERLINK("http://evil","Smith, Jo")' });
  t.equal((await agentPost(agent1, `/desktop/interactions/${chat.id}/disconnect`)).status, 200);
  t.equal((await agentPost(agent1, `/desktop/interactions/${chat.id}/wrap-up`, { disposition: 'Resolved', notes: '-rm, "quoted"\nsecond line' })).status, 200);

  const page = await agentGet(agent1, `/admin/interactions?from=${today}&to=${today}`);
  const html = await page.text();
  t.equal(page.status, 200);
  const row = new RegExp(`<tr data-interaction="${chat.id}">(.*?)</tr>`).exec(html)?.[1] ?? '';
  t.match(row, /<td>Roadside Assistance<\/td><td>Agent One<\/td><td>web<\/td><td>=HYPERLINK\(&quot;http:\/\/evil&quot;,&quot;Smith, Jo&quot;\)<\/td>/, 'service, agent, channel, the name as text');
  t.match(row, /<td>Resolved<\/td><td>—<\/td>$/, 'disposition; no rating yet');
  t.match(html, new RegExp(`<a href="/admin/interactions.csv\\?from=${today}&amp;to=${today}" download>Export CSV</a>`));

  const csv = await agentGet(agent1, `/admin/interactions.csv?from=${today}&to=${today}`);
  t.equal(csv.status, 200);
  t.match(csv.headers.get('content-type'), /^text\/csv/);
  t.match(csv.headers.get('content-disposition'), /^attachment; filename="interactions-/);
  const body = await csv.text();
  t.ok(body.startsWith('Interaction,Service,Agents,Channel,Customer,Started (UTC),Ended (UTC),Chat (s),Calls (s),Video (s),Disposition,Notes,Rating,Rating comment\r\n'), 'header row');
  const line = body.split('\r\n').find((l) => l.startsWith(chat.id)) ?? '';
  t.match(line, `,Roadside Assistance,Agent One,web,"'=HYPERLINK(""http://evil"",""Smith, Jo"")",`, 'the formula is neutralised and quoted');
  t.match(body, `,Resolved,"'-rm, ""quoted""\nsecond line",,\r\n`, 'notes quoted across lines, formula start neutralised, no rating');
});

t.test('the date range filters by when interactions ended; a bad date is refused', async (t) => {
  const old = await (await agentGet(agent1, '/admin/interactions.csv?from=2001-01-01&to=2001-01-31')).text();
  t.equal(old.split('\r\n').filter(Boolean).length, 1, 'nothing ended then: the header alone');
  const bad = await agentGet(agent1, '/admin/interactions.csv?from=2026-02-30');
  t.equal(bad.status, 400);
  t.match(await bad.json(), { error: { code: 'invalid_date' } });
  const page = await agentGet(agent1, '/admin/interactions?from=2026-05-12&to=2026-05-01');
  t.equal(page.status, 400);
  t.match(await page.text(), /The range ends before it starts/);
});

// A busy center ends thousands of chats a day: the export sends every one of a range, however many.
t.test('the export holds every interaction of the range, beyond what one read of the store takes', async (t) => {
  const day = '2002-05-10';
  const count = 2_345;
  // Written into the server's database beside it, as years of a center's history would be.
  const db = new DatabaseSync(join(server.dataDir, 'contact-center.sqlite'));
  db.exec('PRAGMA busy_timeout = 5000');
  const endedAt = Date.parse(`${day}T12:00:00Z`);
  db.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO interactions (id, service_id, channel, customer_name, customer_phone, token_hash, state, created_at, accepted_at, ended_at, ended_by, context, last_seq)
     SELECT 'bulk-' || i, 'roadside', 'web', 'Customer ' || i, '+15550000000', 'x', 'ended', ? - 60000, ? - 50000, ? - (i % 7) * 1000, 'customer', '{"fields":{}}', 0 FROM n`,
  ).run(count, endedAt, endedAt, endedAt);
  db.close();
  const body = await (await agentGet(agent1, `/admin/interactions.csv?from=${day}&to=${day}`)).text();
  const ids = body.split('\r\n').slice(1).filter(Boolean).map((line) => line.split(',')[0]!);
  t.equal(ids.length, count, `${count} rows after the header`);
  t.equal(new Set(ids).size, count, 'none twice');
  t.ok(ids.every((id) => id.startsWith('bulk-')), 'all of them the range\'s');
});

t.test('agents may not see the list or the export', async (t) => {
  for (const path of ['/admin/interactions', '/admin/interactions.csv']) {
    const res = await agentGet(agent2, path);
    t.equal(res.status, 403, path);
    await res.text();
  }
});

// The admins' interactions list and CSV export against the real server and a real SQLite file: what a
// row holds, the date filter, CSV quoting and formula neutralising, and who may see it.
import t from 'tap';
import { agentGet, agentPost } from '../helpers/desktop-client.ts';
import { acceptedChat, withDesk } from '../helpers/fixtures.ts';

const { api, agent1, agent2 } = await withDesk(t);
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

t.test('agents may not see the list or the export', async (t) => {
  for (const path of ['/admin/interactions', '/admin/interactions.csv']) {
    const res = await agentGet(agent2, path);
    t.equal(res.status, 403, path);
    await res.text();
  }
});

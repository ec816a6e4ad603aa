// The agents' History over HTTP on a real server and SQLite file, with interactions stored beforehand
// (test/helpers/history-seed.ts): what the timeline shows an agent against Monitor.
import t from 'tap';
import { agentGet } from '../helpers/desktop-client.ts';
import { login } from '../helpers/fixtures.ts';
import { ended, seededServer, supervisionEntry, T0 } from '../helpers/history-seed.ts';
import { entry } from '../helpers/store-contract.ts';

t.test("an agent's History shows a supervisor only where the agent heard them; Monitor shows every step", async (t) => {
  const server = await seededServer(t, async ({ store }) => {
    const rec = ended('supervised', 'agent2', T0 + 100, { lastSeq: 6 });
    const steps = [
      entry(rec.id, 1, { kind: 'accepted', author: 'agent', agentId: 'agent2', text: null }),
      supervisionEntry(rec.id, 2, 'listening'),
      supervisionEntry(rec.id, 3, 'whispering'),
      supervisionEntry(rec.id, 4, 'listening'),
      supervisionEntry(rec.id, 5, 'ended', 'stopped by the supervisor'),
      entry(rec.id, 6, { kind: 'ended', author: 'agent', agentId: 'agent2', text: null }),
    ];
    await store.saveInteraction(rec);
    for (const step of steps) await store.appendEntry(step);
  });
  const agent = await login(server, 'agent2');
  const page = await agentGet(agent, '/desktop/history/supervised');
  t.equal(page.status, 200, 'the agent who worked it opens it');
  const html = await page.text();
  t.match(html, /Supervisor Supervisor One: whispering to the agent/, 'the whisper the agent heard is there');
  t.notMatch(html, /Supervisor One: listening/, 'a supervisor who only listened is not');
  t.notMatch(html, /left the call/, 'nor their leaving, which the agent did not hear either');
  t.match(html, /Agent Two accepted the chat[\s\S]*whispering[\s\S]*Chat ended by Agent Two/, 'the rest of the timeline, in order');

  for (const who of ['supervisor1', 'agent1']) {
    const monitor = await (await agentGet(await login(server, who), '/supervisor/interactions/supervised')).text();
    t.match(
      monitor,
      /Supervisor One: listening[\s\S]*whispering[\s\S]*Supervisor One: listening[\s\S]*left the call \(stopped by the supervisor\)/,
      `${who} (${who === 'agent1' ? 'an admin' : 'a supervisor'}) reads every supervision step on Monitor`,
    );
  }
});

t.test('History pages back through every ended interaction the agent worked: Older, as a page or as rows for htmx', async (t) => {
  // agent2: 103 ended, the 100th to the 102nd in the same millisecond (the first page ends among
  // them); the oldest rated and wrapped up. agent1: exactly one page's worth.
  const server = await seededServer(t, async ({ store, closures }) => {
    for (let i = 0; i < 103; i++) await store.saveInteraction(ended(`a2-${String(i).padStart(3, '0')}`, 'agent2', i < 99 ? T0 + 1000 - i : i < 102 ? T0 + 500 : T0 + 400, { customer: { name: `Customer ${i}`, phone: '+15551230000' } }));
    for (let i = 0; i < 100; i++) await store.saveInteraction(ended(`a1-${i}`, 'agent1', T0 + i));
    await closures.saveWrapUp({ interactionId: 'a2-102', agentId: 'agent2', disposition: 'Resolved', notes: '', doneAt: T0 + 2000 });
    await closures.saveRating({ interactionId: 'a2-102', serviceId: 'roadside', score: 5, comment: null, ratedAt: T0 + 2001 });
  });
  const agent = await login(server, 'agent2');
  const rowIds = (html: string) => [...html.matchAll(/<a href="\/desktop\/history\/([^"]+)">/g)].map((m) => m[1]!);
  const olderOf = (html: string) => /<a href="([^"]+)" hx-get="[^"]+" hx-target="closest tr" hx-swap="outerHTML">Older<\/a>/.exec(html)?.[1]?.replaceAll('&amp;', '&');

  const first = await (await agentGet(agent, '/desktop/history')).text();
  t.equal(rowIds(first).length, 100, 'the first page holds 100');
  t.equal(rowIds(first)[0], 'a2-000', 'newest first');
  const older = olderOf(first);
  t.ok(older, 'with an Older link');

  const rows = await agentGet(agent, older!, { htmx: true });
  t.equal(rows.status, 200);
  const fragment = await rows.text();
  t.notMatch(fragment, /<html|<table|<thead/, 'htmx gets the rows only, to put in place of the link');
  t.match(fragment, /^\s*<tr>/, 'table rows');
  const all = [...rowIds(first), ...rowIds(fragment)];
  t.equal(all.length, 103, 'the second page holds the rest');
  t.equal(new Set(all).size, 103, 'none twice, none left out, the same millisecond across the two pages included');
  t.notOk(olderOf(fragment), 'no Older link after the oldest');
  t.match(fragment, /a2-102">Customer 102<\/a>(?:<\/td><td>[^<]*){6}<\/td><td>Resolved<\/td><td>5\/5<\/td>/, 'an older row has its disposition and rating too');

  const page = await agentGet(agent, older!);
  const html = await page.text();
  t.match(html, /<title>History/, 'a plain link (no htmx) opens the older page whole');
  t.same(rowIds(html), rowIds(fragment), 'with the same rows');
  t.match(html, /<a href="\/desktop\/history">Newest<\/a>/, 'and a way back to the newest');

  const one = await (await agentGet(await login(server, 'agent1'), '/desktop/history')).text();
  t.equal(rowIds(one).length, 100, "agent1's hundred on one page");
  t.notOk(olderOf(one), 'exactly one page: no Older link to an empty page');
  t.notOk(rowIds(one).some((id) => id.startsWith('a2-')), "none of agent2's");

  for (const bad of ['yesterday', '123', '.a2-001', `${'9'.repeat(16)}.x`]) {
    const refused = await agentGet(agent, `/desktop/history?before=${encodeURIComponent(bad)}`);
    t.equal(refused.status, 400, `before=${bad}: 400`);
    t.match(await refused.json(), { error: { code: 'invalid_cursor' } }, 'with its code');
  }
});

t.test('History says its times are UTC: the columns, and the accepted and ended times of an interaction', async (t) => {
  const server = await seededServer(t, async ({ store }) => {
    await store.saveInteraction(ended('utc-1', 'agent1', T0 + 65_000)); // accepted at T0 = 2023-11-14 22:13:20 UTC
  });
  const agent = await login(server, 'agent1');
  const list = await (await agentGet(agent, '/desktop/history')).text();
  t.match(list, /<th>Started \(UTC\)<\/th><th>Ended \(UTC\)<\/th>/, 'the columns say UTC');
  t.match(list, /2023-11-14 22:14:25/, 'the end, to the second');
  const detail = await (await agentGet(agent, '/desktop/history/utc-1')).text();
  t.match(detail, /Accepted at 2023-11-14 22:13:20 UTC; ended at 2023-11-14 22:14:25 UTC by agent\./);
});

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

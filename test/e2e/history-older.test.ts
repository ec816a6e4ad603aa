// History's Older link in real Chromium: htmx puts the older rows in the link's place, in the same
// table, until none are left. (The pages over HTTP: test/integration/history.test.ts.)
import t, { type Test } from 'tap';
import { logInPage, pageMaker, withBrowser } from '../helpers/fixtures.ts';
import { ended, seededServer, T0 } from '../helpers/history-seed.ts';

// Agent Two's History page in the browser, over `count` chats they ended (Customer 0 the newest).
async function historyOf(t: Test, count: number) {
  const server = await seededServer(t, async ({ store }) => {
    for (let i = 0; i < count; i++) await store.saveInteraction(ended(`chat-${i}`, 'agent2', T0 + 1000 - i, { customer: { name: `Customer ${i}`, phone: '+15551230000' } }));
  });
  const pages = pageMaker(await withBrowser(t));
  const agent = await pages.newPage();
  await logInPage(agent, server.url, 'agent2');
  await agent.waitForURL(/\/desktop/);
  await agent.goto(`${server.url}/desktop/history`);
  return { server, pages, agent };
}

t.test('Older adds the older interactions to the History table in place, until the oldest', async (t) => {
  const { pages, agent } = await historyOf(t, 150);
  const rows = agent.locator('main.history tbody tr:not(.older)');
  t.equal(await rows.count(), 100, 'the first 100');
  await agent.getByRole('link', { name: 'Older' }).click();
  await agent.getByRole('link', { name: 'Customer 149', exact: true }).waitFor();
  t.equal(await rows.count(), 150, 'the other 50 added below them');
  t.same([await rows.first().locator('a').textContent(), await rows.nth(100).locator('a').textContent()], ['Customer 0', 'Customer 100'], 'in order, newest first');
  t.equal(await agent.getByRole('link', { name: 'Older' }).count(), 0, 'no Older link after the oldest');
  t.equal(await agent.locator('main.history table').count(), 1, 'one table');
  t.match(agent.url(), /\/desktop\/history$/, 'the page stays where it was');
  t.same(pages.pageErrors, [], 'no page error');
});

t.test('Older while the server cannot be reached says so on the History page, and adds nothing', async (t) => {
  const { server, agent } = await historyOf(t, 120);
  const alert = agent.getByRole('alert');
  t.ok(await alert.isHidden(), 'no alert before anything fails');
  await server.stop();
  await agent.getByRole('link', { name: 'Older' }).click();
  await alert.filter({ hasText: 'could not be reached' }).waitFor({ timeout: 10_000 });
  t.pass(`the alert says why: ${await alert.textContent()}`);
  t.equal(await agent.locator('main.history tbody tr:not(.older)').count(), 100, 'no rows added');
  t.equal(await agent.getByRole('link', { name: 'Older' }).count(), 1, 'Older is still there to try again');
});

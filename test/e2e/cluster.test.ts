// Two real nodes of one cluster in real Chromium: the customer's page on node A, the agent desktop on
// node B; a chat live both ways; kill -9 of the leader (A): B leads within 5 s, the agent's page on B
// goes on (still Ready), and a new chat from a customer page on B is offered, accepted and answered.
import t from 'tap';
import { untilRole, withCluster } from '../helpers/cluster.ts';
import { logInPage, startChatPage, withBrowser } from '../helpers/fixtures.ts';

t.test('customer on node A, agent on node B, then the leader killed', async (t) => {
  const cluster = await withCluster(t);
  const a = await cluster.startNode('node-a');
  await untilRole(a, 'leader');
  const b = await cluster.startNode('node-b');
  await untilRole(b, 'follower');
  const browser = await withBrowser(t);
  const agent = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const customer = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true })).newPage();
  const pageErrors: string[] = [];
  for (const page of [agent, customer]) page.on('pageerror', (err) => pageErrors.push(err.message));

  await logInPage(agent, b.url);
  await agent.waitForURL(`${b.url}/desktop`);
  await agent.getByRole('button', { name: 'Ready', exact: true }).click();
  await agent.locator('.presence-ready').waitFor();

  await startChatPage(customer, a.url, 'Ada Across', '+393331234567');
  await agent.getByRole('button', { name: 'Accept' }).click();
  const panel = agent.locator('section.interaction');
  await panel.waitFor();
  await customer.getByText(/joined/).waitFor();

  await customer.getByLabel('Message').fill('Hello from node A');
  await customer.getByRole('button', { name: 'Send' }).click();
  await panel.locator('.entry-message.from-customer .text', { hasText: 'Hello from node A' }).waitFor();
  await agent.getByLabel('Message').fill('Hello from node B');
  await agent.getByRole('button', { name: 'Send' }).click();
  await customer.getByText('Hello from node B').waitFor();
  t.pass('live both ways across the nodes');

  const killedAt = Date.now();
  process.kill(a.pid, 'SIGKILL');
  await untilRole(b, 'leader', 8000);
  const takeoverMs = Date.now() - killedAt;
  t.comment(`failover: node-b leads ${takeoverMs} ms after kill -9 of node-a`);
  t.ok(takeoverMs < 5000, `B leads within 5 s (${takeoverMs} ms)`);

  // The agent's page was on B all along: it goes on, still Ready, and takes a new chat.
  const next = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true })).newPage();
  next.on('pageerror', (err) => pageErrors.push(err.message));
  await startChatPage(next, b.url, 'Bea Later', '+393337654321');
  await agent.getByRole('button', { name: 'Accept' }).click();
  await next.getByText(/joined/).waitFor();
  await next.getByLabel('Message').fill('Anyone there after the failover?');
  await next.getByRole('button', { name: 'Send' }).click();
  await agent.locator('.entry-message.from-customer .text', { hasText: 'Anyone there after the failover?' }).waitFor();
  await agent.getByLabel('Message').fill('Yes, still here.');
  await agent.getByRole('button', { name: 'Send' }).click();
  await next.getByText('Yes, still here.').waitFor();
  t.same(pageErrors, [], 'no script errors');
});

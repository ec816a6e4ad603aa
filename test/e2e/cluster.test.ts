// Two real nodes of one cluster in real Chromium: the customer's page on node A, the agent desktop on
// node B; a chat live both ways; kill -9 of the leader (A): B leads, the agent's page on B
// goes on (still Ready), and a new chat from a customer page on B is offered, accepted and answered.
import t from 'tap';
import { untilRole, withCluster } from '../helpers/cluster.ts';
import { eventually } from '../helpers/eventually.ts';
import { logInPage, startChatPage, withBrowser } from '../helpers/fixtures.ts';
import { startHaproxy } from '../helpers/haproxy.ts';

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
  await untilRole(b, 'leader', 30_000);
  const takeoverMs = Date.now() - killedAt;
  t.comment(`failover: node-b leads ${takeoverMs} ms after kill -9 of node-a`);
  t.pass('B leads (how fast is bench:failover\'s to print, not a test\'s to assert)');

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

t.test('through HAProxy (no sticky sessions): kill -9 of a follower, the pages reconnect through the other node and catch up', async (t) => {
  const cluster = await withCluster(t);
  const env = { TRUST_PROXY: 'loopback' };
  const a = await cluster.startNode('node-a', env);
  await untilRole(a, 'leader');
  const b = await cluster.startNode('node-b', env);
  await untilRole(b, 'follower');
  const proxy = await startHaproxy([a.port, b.port]);
  t.teardown(() => proxy.stop());
  await eventually('both nodes up in HAProxy', async () => (Object.values(await proxy.servers()).every((s) => s.status === 'UP') ? true : undefined), 15_000);

  const browser = await withBrowser(t);
  const agent = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const customer = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true })).newPage();
  const pageErrors: string[] = [];
  // Each page's live sockets, as Chromium opens and closes them (a socket on the killed node closes).
  const sockets = { agent: { opened: 0, closed: 0 }, customer: { opened: 0, closed: 0 } };
  for (const [name, page] of [['agent', agent], ['customer', customer]] as const) {
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('websocket', (ws) => {
      if (ws.url().includes('/sip')) return;
      sockets[name].opened += 1;
      ws.on('close', () => (sockets[name].closed += 1));
    });
  }
  await logInPage(agent, proxy.url);
  await agent.waitForURL(`${proxy.url}/desktop`);
  await agent.getByRole('button', { name: 'Ready', exact: true }).click();
  await agent.locator('.presence-ready').waitFor();
  await startChatPage(customer, proxy.url, 'Hana Proxy', '+393331112222');
  await agent.getByRole('button', { name: 'Accept' }).click();
  const panel = agent.locator('section.interaction');
  await customer.getByText(/joined/).waitFor();

  const fromCustomer = (text: string) => panel.locator('.entry-message.from-customer .text', { hasText: text });
  const onCustomerPage = (text: string) => customer.getByText(text, { exact: true });
  const say = async (text: string) => {
    await customer.getByLabel('Message').fill(text);
    await customer.getByRole('button', { name: 'Send' }).click();
    await fromCustomer(text).waitFor({ timeout: 20_000 });
  };
  const reply = async (text: string) => {
    await agent.getByLabel('Message').fill(text);
    await agent.getByRole('button', { name: 'Send' }).click();
    await onCustomerPage(text).waitFor({ timeout: 20_000 });
  };
  await say('before 1');
  await reply('before 2');
  // Round robin decides where each page's socket lands; both may be on node-a. The customer page is
  // reloaded (its socket opened again through HAProxy) until one is on node-b, the node to be killed.
  for (let reloads = 0; reloads < 6 && (await pageSocketsOn(b)) === 0; reloads++) {
    const opened = sockets.customer.opened;
    await customer.reload();
    await onCustomerPage('before 2').waitFor();
    await eventually("the reloaded page's socket open", async () => (sockets.customer.opened > opened ? true : undefined), 10_000);
  }
  t.ok((await pageSocketsOn(b)) > 0, 'a page socket is on node-b');

  const closedBefore = sockets.agent.closed + sockets.customer.closed;
  process.kill(b.pid, 'SIGKILL');
  await eventually('HAProxy takes node-b out', async () => ((await proxy.servers()).node2?.status.startsWith('DOWN') ? true : undefined), 15_000);
  await say('after 1');
  await reply('after 2');
  await say('after 3');
  t.comment(`live sockets: ${JSON.stringify(sockets)}`);
  t.ok(sockets.agent.closed + sockets.customer.closed > closedBefore, 'a page socket was on the killed node (it closed with it) and the page reconnected');
  for (const text of ['before 1', 'after 1', 'after 3']) t.equal(await fromCustomer(text).count(), 1, `the desktop shows "${text}" once`);
  for (const text of ['before 2', 'after 2']) t.equal(await onCustomerPage(text).count(), 1, `the customer page shows "${text}" once`);
  t.same(pageErrors, [], 'no script errors');
});

// The pages' sockets a node holds (its own count, read from it directly: /metrics answers this machine).
async function pageSocketsOn(node: { url: string }): Promise<number> {
  const metrics = await (await fetch(`${node.url}/metrics`)).text();
  return [...metrics.matchAll(/^cc_websocket_clients\{kind="(?:agent|customer)"\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

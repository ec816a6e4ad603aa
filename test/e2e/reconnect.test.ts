// A dropped network: both pages lose their sockets while messages keep arriving at the server; once
// the network is back they catch up with every message exactly once, in order, without a reload.
import t from 'tap';
import { login, logInPage, startChatPage, withBrowser, withServer } from '../helpers/fixtures.ts';
import { startFlakyLink } from '../helpers/flaky-link.ts';

t.test('agent and customer pages catch up after a dropped network with no gap and no duplicate', async (t) => {
  const server = await withServer(t);
  const link = await startFlakyLink(server.port);
  t.teardown(() => link.close());
  const browser = await withBrowser(t);
  const agent = await (await browser.newContext()).newPage();
  const customer = await (await browser.newContext({ viewport: { width: 390, height: 800 } })).newPage();

  await logInPage(agent, link.url);
  await agent.getByRole('button', { name: 'Ready', exact: true }).click();

  await startChatPage(customer, link.url, 'Nadia', '+4915112345678');
  await agent.getByRole('button', { name: 'Accept' }).click();
  const panel = agent.locator('section.interaction');
  await panel.waitFor();
  await customer.getByLabel('Message').fill('before the drop');
  await customer.getByRole('button', { name: 'Send' }).click();
  await panel.getByText('before the drop').waitFor();

  const chat = await customer.evaluate(() => JSON.parse(localStorage.getItem('chat:roadside') ?? 'null') as { id: string; token: string });
  const agentApi = await login(server, 'agent1', 'demo'); // a second session, straight to the server

  // The network drops; the conversation goes on at the server, from both sides.
  link.cut();
  const during = ['while away 1', 'while away 2', 'while away 3'];
  for (const [i, text] of during.entries()) {
    if (i === 1) {
      await fetch(`${server.url}/desktop/interactions/${chat.id}/messages`, {
        method: 'POST',
        headers: { cookie: agentApi.cookie, 'x-csrf-token': agentApi.csrf, 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded' },
        body: `text=${encodeURIComponent(text)}`,
      });
    } else {
      await fetch(`${server.url}/api/v1/chats/${chat.id}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${chat.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      });
    }
  }
  await agent.waitForTimeout(1500);
  link.restore();

  // Both pages reconnect by themselves and show everything once, in order.
  for (const text of during) {
    await panel.getByText(text).waitFor({ timeout: 20_000 });
    await customer.getByText(text).waitFor({ timeout: 20_000 });
  }
  const agentTexts = await panel.locator('.entry-message .text').allTextContents();
  t.same(agentTexts, ['before the drop', ...during], 'the agent sees every message once, in order');
  const customerLog = await customer.getByRole('log').innerText();
  for (const text of ['before the drop', ...during]) {
    t.equal(customerLog.split(text).length - 1, 1, `the customer sees "${text}" exactly once`);
  }
  t.ok(customerLog.indexOf('while away 1') < customerLog.indexOf('while away 3'), 'in order on the customer page');

  // A reply typed while the network is down is not lost silently: the desktop says it was not sent
  // and keeps the text, and sending again once the network is back delivers it once.
  link.cut();
  await panel.getByLabel('Message').fill('typed while offline');
  await panel.getByRole('button', { name: 'Send' }).click();
  const alert = agent.locator('#desk-alert');
  await alert.filter({ hasText: 'could not be reached' }).waitFor({ timeout: 10_000 });
  t.equal(await panel.getByLabel('Message').inputValue(), 'typed while offline', 'the text stays in the composer');
  const stored = await fetch(`${server.url}/api/v1/chats/${chat.id}/messages`, { headers: { authorization: `Bearer ${chat.token}` } });
  t.notMatch(await stored.text(), 'typed while offline', 'and the server has not stored it');
  link.restore();
  await panel.getByRole('button', { name: 'Send' }).click();
  await customer.getByText('typed while offline').waitFor({ timeout: 20_000 });
  await alert.waitFor({ state: 'hidden' });
  t.equal((await customer.getByRole('log').innerText()).split('typed while offline').length - 1, 1, 'the customer gets it once');
  await panel.locator('.entry-message .text', { hasText: 'typed while offline' }).waitFor();
  t.same(await panel.locator('.entry-message .text').allTextContents(), ['before the drop', ...during, 'typed while offline'], 'shown once on the desktop');
});

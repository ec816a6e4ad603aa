// The agent's Send, sent again by the browser: a node that dies behind HAProxy after storing a reply
// but before answering it leaves HAProxy with a kept-alive request and no answer, so HAProxy closes
// the browser's connection without a word ("the client is required to retry") and Chromium sends the
// same POST again, to a node that is up. The reply must be stored, and shown to the customer, once.
// (Seen once in cluster.test.ts: "before 2" twice on the customer page after node-b was killed.)
import t from 'tap';
import { logInPage, startChatPage, withBrowser, withServer } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/eventually.ts';
import { startHaproxy } from '../helpers/haproxy.ts';
import { startLostAnswerHop } from '../helpers/lost-answer.ts';

t.test('a reply whose answer was lost on the way is resent by the browser and stored once', async (t) => {
  const server = await withServer(t, { env: { TRUST_PROXY: 'loopback' } });
  const hop = await startLostAnswerHop(server.port, /^POST \/desktop\/interactions\/[^/]+\/messages /);
  t.teardown(() => hop.close());
  const proxy = await startHaproxy([hop.port]);
  t.teardown(() => proxy.stop());
  await eventually('the node up in HAProxy', async () => ((await proxy.servers()).node1?.status === 'UP' ? true : undefined), 15_000);

  const browser = await withBrowser(t);
  const agent = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const customer = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true })).newPage();
  const pageErrors: string[] = [];
  for (const page of [agent, customer]) page.on('pageerror', (err) => pageErrors.push(err.message));
  await logInPage(agent, proxy.url);
  await agent.waitForURL(`${proxy.url}/desktop`);
  await agent.getByRole('button', { name: 'Ready', exact: true }).click();
  await agent.locator('.presence-ready').waitFor();
  await startChatPage(customer, proxy.url, 'Lena Lost', '+393331113333');
  await agent.getByRole('button', { name: 'Accept' }).click();
  await customer.getByText(/joined/).waitFor();

  // HAProxy closes silently only a connection that carried a request before (Chromium resends only on
  // such a one): one more request right before Send leaves an idle, used connection for it.
  await agent.evaluate(() => fetch('/healthz').then((res) => res.text()));
  hop.arm();
  const message = agent.getByLabel('Message');
  await message.fill('Only once, please');
  await agent.getByRole('button', { name: 'Send' }).click();
  // The composer comes back empty with the answer to the resent POST.
  await agent.waitForFunction(() => (document.querySelector('section.interaction textarea[name="text"]') as HTMLTextAreaElement | null)?.value === '');
  t.equal(hop.matched(), 2, 'the node got the POST twice: its first answer was lost and the browser sent it again');

  const chat = await customer.evaluate(() => JSON.parse(localStorage.getItem('chat:roadside') ?? 'null') as { id: string; token: string });
  const res = await fetch(`${server.url}/api/v1/chats/${chat.id}/messages`, { headers: { authorization: `Bearer ${chat.token}` } });
  const { messages } = (await res.json()) as { messages: Array<{ text: string | null; author: string }> };
  t.equal(messages.filter((m) => m.text === 'Only once, please').length, 1, 'the reply is stored once');

  // The next reply reaches the customer's page after any copy of the first would have.
  await message.fill('And this one after it');
  await agent.getByRole('button', { name: 'Send' }).click();
  await customer.getByText('And this one after it', { exact: true }).waitFor();
  t.equal(await customer.getByText('Only once, please', { exact: true }).count(), 1, 'the customer page shows the reply once');
  t.equal(await agent.locator('section.interaction .entry-message .text', { hasText: 'Only once, please' }).count(), 1, 'the desktop shows the reply once');
  t.same(pageErrors, [], 'no script errors');
});

// The customer's page catching up after its socket was away, in real Chromium against the real server:
// nothing the agent wrote meanwhile is missing, whatever the page learns first (that the chat ended,
// or its own send's answer).
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { agentPost, setPresence } from '../helpers/desktop-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { acceptThenNotReady, login, pageMaker, startChatPage, withBrowser, withServer } from '../helpers/fixtures.ts';
import { startFlakyLink } from '../helpers/flaky-link.ts';

async function customerWithAgent(t: Test) {
  const server = await withServer(t);
  const link = await startFlakyLink(server.port);
  t.teardown(() => link.close());
  const agent = await login(server, 'agent1');
  await setPresence(agent, 'ready');
  const pages = pageMaker(await withBrowser(t));
  const customer = await pages.newPage();
  await startChatPage(customer, link.url, 'Nadia', '+4915112345678');
  const chat = await eventually('the chat stored on the device', () => storedChat(customer));
  await acceptThenNotReady(agent, chat);
  await customer.getByText('Agent One joined').waitFor();
  return { agent, link, customer, chat, pages };
}

const storedChat = (page: Page) => page.evaluate(() => (JSON.parse(localStorage.getItem('chat:roadside') ?? 'null') as { id: string } | null) ?? undefined);

t.test('back after the agent wrote and ended the chat, the page shows the last messages, then Chat ended', async (t) => {
  const { agent, link, customer, chat, pages } = await customerWithAgent(t);
  link.cut();
  t.equal((await agentPost(agent, `/desktop/interactions/${chat.id}/messages`, { text: 'Truck on its way, ref 1234' })).status, 200, 'the agent writes');
  t.equal((await agentPost(agent, `/desktop/interactions/${chat.id}/disconnect`)).status, 200, 'and ends the chat');
  link.restore();
  await customer.getByText('Chat ended').first().waitFor({ timeout: 20_000 });
  await customer.getByText('Truck on its way, ref 1234').waitFor({ timeout: 10_000 });
  t.pass("the agent's last message is shown");
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test("a send answered while the socket is still away does not make the page skip the agent's reply", async (t) => {
  const { agent, link, customer, chat, pages } = await customerWithAgent(t);
  // The events socket stays away (refused at once) while plain requests go through.
  let socketAway = true;
  await customer.routeWebSocket(/\/events/, (ws) => (socketAway ? ws.close() : ws.connectToServer()));
  link.cut();
  link.restore();
  t.equal((await agentPost(agent, `/desktop/interactions/${chat.id}/messages`, { text: 'Are you still at exit 12?' })).status, 200, 'the agent replies');
  await customer.getByLabel('Message').fill('Hello? Anyone?');
  await customer.getByRole('button', { name: 'Send' }).click();
  await eventually('the send acknowledged', async () => ((await customer.locator('.msg-customer.msg-pending, .msg-customer.msg-failed').count()) === 0 ? true : undefined));
  socketAway = false;
  await customer.getByText('Are you still at exit 12?').waitFor({ timeout: 20_000 });
  t.pass("the agent's reply arrives once the socket is back");
  const log = await customer.getByRole('log').innerText();
  t.ok(log.indexOf('Are you still at exit 12?') < log.indexOf('Hello? Anyone?'), 'in the order the server stored them');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test('two tabs of an ended chat: rating it in one does not forget the new chat started in the other', async (t) => {
  const { agent, customer: first, chat, pages } = await customerWithAgent(t);
  const second = await first.context().newPage();
  await second.goto(first.url());
  await second.getByText('Agent One joined').waitFor();
  t.equal((await agentPost(agent, `/desktop/interactions/${chat.id}/disconnect`)).status, 200, 'the agent ends the chat');
  for (const tab of [first, second]) await tab.getByText('Chat ended').first().waitFor();

  await first.getByRole('button', { name: 'Start a new chat' }).click();
  await first.getByLabel('Phone').fill('+4915112345678');
  await first.getByRole('button', { name: 'Start chat' }).click();
  const next = await eventually('the new chat stored', async () => {
    const stored = await storedChat(first);
    return stored && stored.id !== chat.id ? stored : undefined;
  });
  await second.getByLabel('Rate').selectOption('5');
  await second.getByRole('button', { name: 'Submit rating' }).click();
  await second.getByText('Thank you for your rating.').waitFor();
  t.same(await storedChat(second), next, 'the device still keeps the new chat');
  await first.reload();
  await first.getByText('Waiting for an agent').waitFor();
  t.same(await storedChat(first), next, 'and a reload resumes it');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test('a socket gone silent while the phone was away is replaced when the network comes back', async (t) => {
  const { agent, link, customer, chat, pages } = await customerWithAgent(t);
  // The connections the page holds pass nothing any more, as after a sleep or a change of network;
  // the page is not told (no close reaches it). New connections work again.
  link.stall();
  link.restore();
  t.equal((await agentPost(agent, `/desktop/interactions/${chat.id}/messages`, { text: 'Still there, Nadia?' })).status, 200, 'the agent writes');
  await customer.evaluate(() => window.dispatchEvent(new Event('online')));
  await customer.getByText('Still there, Nadia?').waitFor({ timeout: 10_000 });
  t.pass('the message arrives over a new socket, long before the server would cut the silent one');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test('a video request still waiting for the agent is said again after a reload', async (t) => {
  const { customer, pages } = await customerWithAgent(t);
  await customer.getByRole('button', { name: 'Request video' }).click();
  await customer.getByText('Video requested. Waiting for the agent to allow it…').waitFor();
  await customer.reload();
  await customer.getByText('Agent One joined').waitFor();
  await customer.getByText('Video requested. Waiting for the agent to allow it…').waitFor();
  t.pass('the page says the request still waits');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test('a message that must be retried is not overtaken by the next one: both sides see them in the order written', async (t) => {
  const { agent, customer, chat, pages } = await customerWithAgent(t);
  // The first send of the first message is lost on the way (a network blip); it is retried a second later.
  let lost = false;
  await customer.route(/\/messages$/, async (route) => {
    if (route.request().method() === 'POST' && !lost) {
      lost = true;
      return route.abort('failed');
    }
    return route.continue();
  });
  for (const text of ['The car stopped', 'on the bridge']) {
    await customer.getByLabel('Message').fill(text);
    await customer.getByRole('button', { name: 'Send' }).click();
  }
  await customer.locator('.msg-pending').first().waitFor({ state: 'detached', timeout: 20_000 });
  await eventually('both sent', async () => ((await customer.locator('.msg-pending').count()) === 0 ? true : undefined));
  const shown = await customer.locator('.msg-text').allTextContents();
  t.ok(shown.indexOf('The car stopped') < shown.indexOf('on the bridge'), `on the page in the order written: ${JSON.stringify(shown)}`);
  const timeline = await (await fetch(`${agent.baseUrl}/desktop/history/${chat.id}`, { headers: { cookie: agent.cookie } })).text();
  t.ok(timeline.indexOf('The car stopped') < timeline.indexOf('on the bridge'), 'and for the agent');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test('accepted and back in the queue while the page was away: it reads Waiting for an agent, not who joined meanwhile', async (t) => {
  const server = await withServer(t);
  const link = await startFlakyLink(server.port);
  t.teardown(() => link.close());
  const admin = await login(server, 'agent1');
  const agent = await login(server, 'agent2');
  await setPresence(agent, 'ready');
  const pages = pageMaker(await withBrowser(t));
  const customer = await pages.newPage();
  await startChatPage(customer, link.url, 'Nadia', '+4915112345679');
  const chat = await eventually('the chat stored on the device', () => storedChat(customer));
  const state = customer.locator('#chat-state');
  await state.filter({ hasText: 'Waiting for an agent' }).waitFor();
  link.cut();
  await acceptThenNotReady(agent, chat);
  t.equal((await agentPost(agent, `/desktop/interactions/${chat.id}/messages`, { text: 'Agent Two here' })).status, 200, 'the agent accepts and writes');
  t.equal((await agentPost(admin, '/admin/agents/agent2/disable')).status, 200, 'an admin disables the agent: the chat goes back to the queue');
  link.restore();
  await customer.getByText('Agent Two here').waitFor({ timeout: 20_000 }); // read back after 'accepted'
  t.equal(await state.textContent(), 'Waiting for an agent…', 'not "Agent Two joined" from the timeline read back');
  t.same(pages.pageErrors, [], 'no script errors');
});

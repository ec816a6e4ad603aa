// End to end in real Chromium against the real server: the customer page offers Rate for an ended chat
// after a reload too (the page that saw the end is gone). Once rated, or once it ended longer ago than
// the page keeps an ended chat (15 minutes), the device forgets it: on a shared phone a reload is a
// fresh start form, with nothing of the previous customer (transcript, name, phone).
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { acceptThenNotReady, login, pageMaker, startChatPage, withBrowser, withServer } from '../helpers/fixtures.ts';
import { agentGet, agentPost, setPresence, type Agent } from '../helpers/desktop-client.ts';

const server = await withServer(t);
const agent = await login(server, 'agent1');
const pages = pageMaker(await withBrowser(t));
const KEY = 'chat:roadside';

// Maria's chat, answered by the agent, ended by her: the page shows it ended.
async function endedChat(t: Test, customer: Page, agent: Agent): Promise<string> {
  await setPresence(agent, 'ready');
  t.teardown(() => setPresence(agent, 'not_ready'));
  await startChatPage(customer, server.url, 'Maria', '+393331234567');
  await customer.getByText('Waiting for an agent').waitFor();
  const stored = await customer.evaluate((key) => localStorage.getItem(key), KEY);
  const chatId = (JSON.parse(stored ?? '{}') as { id: string }).id;
  await acceptThenNotReady(agent, { id: chatId });
  await agentPost(agent, `/desktop/interactions/${chatId}/messages`, { text: 'Help is on its way' });
  await customer.getByText('Help is on its way').waitFor();
  await customer.getByRole('button', { name: 'End chat' }).click();
  await customer.getByText('Chat ended').first().waitFor();
  return chatId;
}

// After a reload: the start form, empty, and nothing of the chat before.
async function freshStart(t: Test, customer: Page, why: string): Promise<void> {
  await customer.reload();
  await customer.getByRole('button', { name: 'Start chat' }).waitFor();
  t.notOk(await customer.getByText('Help is on its way').isVisible(), `${why}: no transcript`);
  t.notOk(await customer.getByText('Chat ended').first().isVisible(), `${why}: no ended chat`);
  t.same([await customer.getByLabel('Name').inputValue(), await customer.getByLabel('Phone').inputValue()], ['', ''], `${why}: no name or phone prefilled`);
  t.equal(await customer.evaluate((key) => localStorage.getItem(key), KEY), null, `${why}: nothing stored`);
}

t.test('an ended chat offers Rate after a reload; once rated, a reload is a fresh start form', async (t) => {
  const customer = await pages.newPage();
  const chatId = await endedChat(t, customer, agent);

  await customer.reload();
  await customer.getByText('Chat ended').first().waitFor();
  await customer.getByText('Help is on its way').waitFor();
  t.pass('after a reload the ended chat is shown, with its messages');
  await customer.getByLabel('Rate').selectOption('5');
  await customer.getByLabel('Comment').fill('Rated after a reload');
  await customer.getByRole('button', { name: 'Submit rating' }).click();
  await customer.getByText('Thank you for your rating.').waitFor();
  t.ok(await customer.getByText('Help is on its way').isVisible(), 'the rated chat stays on screen until the page is left');
  const history = await (await agentGet(agent, `/desktop/history/${chatId}`)).text();
  t.match(history, /Customer rated 5\/5: Rated after a reload/, 'the rating is stored');

  await freshStart(t, customer, 'rated, then reloaded');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test('an ended chat not rated is kept 15 minutes on the device, then forgotten', async (t) => {
  const customer = await pages.newPage();
  await endedChat(t, customer, agent);
  const endedAt = await customer.evaluate((key) => (JSON.parse(localStorage.getItem(key) ?? '{}') as { endedAt?: number }).endedAt, KEY);
  t.type(endedAt, 'number', 'the page stored when it saw the chat end');
  // As if the chat had ended 16 minutes ago.
  await customer.evaluate((key) => {
    const stored = JSON.parse(localStorage.getItem(key) ?? '{}') as { endedAt: number };
    localStorage.setItem(key, JSON.stringify({ ...stored, endedAt: stored.endedAt - 16 * 60_000 }));
  }, KEY);
  await freshStart(t, customer, 'ended longer ago than 15 minutes');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test('an ended chat not rated, left open on the page, is forgotten after 15 minutes without a reload', async (t) => {
  const customer = await pages.newPage();
  await customer.clock.install();
  await endedChat(t, customer, agent);
  await customer.clock.fastForward('14:00');
  t.ok(await customer.getByText('Help is on its way').isVisible(), 'still shown before its 15 minutes');
  await customer.clock.fastForward('02:00');
  await customer.getByRole('button', { name: 'Start chat' }).waitFor();
  t.notOk(await customer.getByText('Help is on its way').isVisible(), 'no transcript');
  t.same([await customer.getByLabel('Name').inputValue(), await customer.getByLabel('Phone').inputValue()], ['', ''], 'no name or phone prefilled');
  t.equal(await customer.evaluate((key) => localStorage.getItem(key), KEY), null, 'nothing stored');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test('Start a new chat forgets the ended one', async (t) => {
  const customer = await pages.newPage();
  await endedChat(t, customer, agent);
  await customer.getByRole('button', { name: 'Start a new chat' }).click();
  await freshStart(t, customer, 'after Start a new chat');
});

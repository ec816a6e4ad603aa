// End to end in real Chromium against the real server: the customer page offers Rate for an ended chat
// after a reload too (the page that saw the end is gone), and once rated a reload shows the chat rated,
// with no second form. Start a new chat forgets the ended one.
import t from 'tap';
import { acceptThenNotReady, login, pageMaker, startChatPage, withBrowser, withServer } from '../helpers/fixtures.ts';
import { agentGet, agentPost, setPresence } from '../helpers/desktop-client.ts';

t.test('an ended chat offers Rate after a reload; a rated one shows it was rated, with no form', async (t) => {
  const server = await withServer(t);
  const agent = await login(server, 'agent1');
  await setPresence(agent, 'ready');
  const pages = pageMaker(await withBrowser(t));
  const customer = await pages.newPage();
  await startChatPage(customer, server.url, 'Maria', '+393331234567');
  await customer.getByText('Waiting for an agent').waitFor();
  const stored = await customer.evaluate(() => localStorage.getItem('chat:roadside'));
  const chatId = (JSON.parse(stored ?? '{}') as { id: string }).id;
  await acceptThenNotReady(agent, { id: chatId });
  await agentPost(agent, `/desktop/interactions/${chatId}/messages`, { text: 'Help is on its way' });
  await customer.getByText('Help is on its way').waitFor();
  await customer.getByRole('button', { name: 'End chat' }).click();
  await customer.getByText('Chat ended').first().waitFor();

  await customer.reload();
  await customer.getByText('Chat ended').first().waitFor();
  await customer.getByText('Help is on its way').waitFor();
  t.pass('after a reload the ended chat is shown, with its messages');
  await customer.getByLabel('Rate').selectOption('5');
  await customer.getByLabel('Comment').fill('Rated after a reload');
  await customer.getByRole('button', { name: 'Submit rating' }).click();
  await customer.getByText('Thank you for your rating.').waitFor();
  const history = await (await agentGet(agent, `/desktop/history/${chatId}`)).text();
  t.match(history, /Customer rated 5\/5: Rated after a reload/, 'the rating is stored');

  await customer.reload();
  await customer.getByText('This chat has been rated. Thank you.').waitFor();
  t.notOk(await customer.getByLabel('Rate').isVisible(), 'no second form after a reload');
  t.notOk(await customer.getByRole('button', { name: 'Submit rating' }).isVisible(), 'nor its Submit rating');
  t.notOk(await customer.getByRole('button', { name: 'Send' }).isEnabled(), 'nothing to send in an ended chat');

  await customer.getByRole('button', { name: 'Start a new chat' }).click();
  await customer.reload();
  await customer.getByRole('button', { name: 'Start chat' }).waitFor();
  t.notOk(await customer.getByText('Chat ended').first().isVisible(), 'Start a new chat forgets the ended one');
  t.same(pages.pageErrors, [], 'no script errors');
});

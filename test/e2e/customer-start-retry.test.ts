// Start chat whose answer the mobile network lost, in real Chromium against the real server: the
// customer presses Start chat again and is in the chat the first press started, not in a second one
// (the first would wait in the queue, be accepted by an agent, and be read by nobody).
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import t from 'tap';
import { pageMaker, startChatPage, withBrowser, withServer } from '../helpers/fixtures.ts';

const server = await withServer(t);
const pages = pageMaker(await withBrowser(t));

// What the server stores, read from its database as another process would.
function chatsOf(name: string): { id: string }[] {
  const db = new DatabaseSync(join(server.dataDir, 'contact-center.sqlite'), { readOnly: true });
  try {
    return db.prepare('SELECT id FROM interactions WHERE customer_name = ?').all(name) as { id: string }[];
  } finally {
    db.close();
  }
}

t.test('Start chat pressed again after its answer was lost opens the chat the first press started', async (t) => {
  const customer = await pages.newPage();
  const keys: string[] = [];
  let answersLost = 0;
  await customer.route('**/api/v1/chats', async (route) => {
    keys.push((await route.request().headerValue('idempotency-key')) ?? '');
    if (answersLost > 0) return route.continue();
    answersLost += 1;
    const answer = await route.fetch(); // the server starts the chat...
    t.equal(answer.status(), 201, 'the first press started a chat');
    await route.abort('connectionreset'); // ...and its answer never reaches the phone
  });
  await startChatPage(customer, server.url, 'Lena Lost', '+4915112340000');
  await customer.getByText(/Network problem/).waitFor();
  t.equal(chatsOf('Lena Lost').length, 1, 'the server holds the chat the page never heard of');

  await customer.getByRole('button', { name: 'Start chat' }).click();
  await customer.getByText('Waiting for an agent').waitFor();
  const chats = chatsOf('Lena Lost');
  t.equal(chats.length, 1, 'still one chat: the second press did not start another');
  const stored = await customer.evaluate(() => JSON.parse(localStorage.getItem('chat:roadside') ?? 'null') as { id: string } | null);
  t.equal(stored?.id, chats[0]?.id, 'the page is in the chat the first press started');
  t.equal(keys.length, 2);
  t.equal(keys[0], keys[1], 'both presses sent one key');

  // The next chat is a new one, although its details (filled in again by the page) are the same.
  await customer.unroute('**/api/v1/chats');
  await customer.getByRole('button', { name: 'End chat' }).click();
  await customer.getByText('Chat ended').first().waitFor();
  await customer.getByRole('button', { name: 'Start a new chat' }).click();
  t.equal(await customer.getByLabel('Phone').inputValue(), '+4915112340000', 'the details are there already');
  await customer.getByRole('button', { name: 'Start chat' }).click();
  await customer.getByText('Waiting for an agent').waitFor();
  const next = await customer.evaluate(() => JSON.parse(localStorage.getItem('chat:roadside') ?? 'null') as { id: string } | null);
  t.not(next?.id, stored?.id, 'a new chat');
  t.equal(chatsOf('Lena Lost').length, 2);
});

t.test('after a reload too, Start chat with the same details opens the chat whose answer was lost', async (t) => {
  const customer = await pages.newPage();
  await customer.route('**/api/v1/chats', async (route) => {
    await route.fetch();
    await route.abort('connectionreset');
  });
  await startChatPage(customer, server.url, 'Rui Reload', '+351912340000');
  await customer.getByText(/Network problem/).waitFor();
  await customer.unroute('**/api/v1/chats');
  await customer.reload();
  await startChatPage(customer, server.url, 'Rui Reload', '+351912340000');
  await customer.getByText('Waiting for an agent').waitFor();
  const chats = chatsOf('Rui Reload');
  t.equal(chats.length, 1, 'one chat');
  const stored = await customer.evaluate(() => JSON.parse(localStorage.getItem('chat:roadside') ?? 'null') as { id: string } | null);
  t.equal(stored?.id, chats[0]?.id, 'the page is in it');
});

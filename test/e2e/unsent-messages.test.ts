// End to end in real Chromium: a message or a photo the customer sent while the network was down is
// kept on the device; after a reload it is shown and delivered, once, with the client_id it was first
// sent with; and one given up on while the network was down is sent again once the page's socket is back.
import t from 'tap';
import type { Locator, Page } from 'playwright-core';
import { pageMaker, startChatPage, withBrowser, withServer } from '../helpers/fixtures.ts';
import { startFlakyLink } from '../helpers/flaky-link.ts';
import { makePng } from '../helpers/images.ts';

const server = await withServer(t);
const pages = pageMaker(await withBrowser(t));

interface Chat {
  id: string;
  token: string;
}

// How the customer sends each kind, where the page shows it, and what the server lists of it.
interface Kind {
  name: string;
  route: string;
  send(page: Page, label: string): Promise<void>;
  shown(log: Locator, label: string): Locator;
  onServer(chat: Chat): Promise<string[]>;
}

async function serverMessages(chat: Chat): Promise<{ text?: string; attachment?: { file_name: string } | null }[]> {
  const res = await fetch(`${server.url}/api/v1/chats/${chat.id}/messages`, { headers: { authorization: `Bearer ${chat.token}` } });
  return ((await res.json()) as { messages: { text?: string; attachment?: { file_name: string } | null }[] }).messages;
}

const kinds: Kind[] = [
  {
    name: 'message',
    route: '**/api/v1/chats/*/messages',
    async send(page, text) {
      await page.getByLabel('Message').fill(text);
      await page.getByRole('button', { name: 'Send' }).click();
    },
    shown: (log, text) => log.locator('.msg-customer', { has: log.page().getByText(text, { exact: true }) }),
    onServer: async (chat) => (await serverMessages(chat)).flatMap((m) => (m.text ? [m.text] : [])),
  },
  {
    name: 'photo',
    route: '**/api/v1/chats/*/attachments',
    send: (page, name) => page.getByLabel('Photo').setInputFiles({ name, mimeType: 'image/png', buffer: makePng(40, 30) }),
    shown: (log, name) => log.locator('.msg-customer', { has: log.page().getByRole('img', { name }) }),
    onServer: async (chat) => (await serverMessages(chat)).flatMap((m) => (m.attachment ? [m.attachment.file_name] : [])),
  },
];

async function storedChat(page: Page): Promise<Chat> {
  return page.evaluate(() => JSON.parse(localStorage.getItem('chat:roadside') ?? 'null') as Chat);
}

const sent = (bubbles: Locator) => bubbles.and(bubbles.page().locator(':not(.msg-pending):not(.msg-failed)'));

for (const kind of kinds) {
  const label = kind.name === 'photo' ? 'flat-tyre.png' : 'hello';

  // The network refuses every send of this kind: the page gives up on it and says so, still showing it.
  async function notSent(): Promise<{ customer: Page; chat: Chat }> {
    const customer = await pages.newPage();
    await startChatPage(customer, server.url, 'Ines', '+351912345678');
    await customer.getByText('Waiting for an agent').waitFor();
    const chat = await storedChat(customer);
    await customer.route(kind.route, (route) => (route.request().method() === 'POST' ? route.abort() : route.continue()));
    await kind.send(customer, label);
    await customer.getByText('Not sent').waitFor({ timeout: 30_000 });
    return { customer, chat };
  }

  t.test(`a ${kind.name} not sent before a reload is sent after it, once`, async (t) => {
    const { customer, chat } = await notSent();
    const log = customer.getByRole('log');
    t.equal(await kind.shown(log, label).count(), 1, 'it is shown, not sent');
    t.same(await kind.onServer(chat), [], 'the server has not got it');

    await customer.unroute(kind.route);
    await customer.reload();
    await sent(kind.shown(log, label)).waitFor({ timeout: 20_000 });
    t.equal(await kind.shown(log, label).count(), 1, 'after the reload: exactly one bubble, sent');
    t.same(await kind.onServer(chat), [label], 'the chat holds it once');
    t.same(pages.pageErrors, [], 'no script errors');
  });

  t.test(`a ${kind.name} given up on while the network was down is sent once the socket is back`, async (t) => {
    const link = await startFlakyLink(server.port);
    t.teardown(() => link.close());
    const customer = await pages.newPage();
    await startChatPage(customer, link.url, 'Ines', '+351912345678');
    await customer.getByText('Waiting for an agent').waitFor();
    await customer.getByText('Connected', { exact: true }).waitFor();
    const chat = await storedChat(customer);

    link.cut();
    await kind.send(customer, label);
    await customer.getByText('Not sent').waitFor({ timeout: 30_000 });
    t.same(await kind.onServer(chat), [], 'the server has not got it');

    link.restore();
    const log = customer.getByRole('log');
    await sent(kind.shown(log, label)).waitFor({ timeout: 30_000 });
    t.equal(await kind.shown(log, label).count(), 1, 'one bubble, sent, with no reload and no Retry');
    t.same(await kind.onServer(chat), [label], 'the chat holds it once');
    t.same(pages.pageErrors, [], 'no script errors');
  });

  t.test(`a ${kind.name} not sent when the chat ended is still shown, as not sent, after a reload`, async (t) => {
    const { customer, chat } = await notSent();

    // The chat ends meanwhile (here by the customer's own token, as another tab would).
    const ended = await fetch(`${server.url}/api/v1/chats/${chat.id}/end`, { method: 'POST', headers: { authorization: `Bearer ${chat.token}` } });
    t.equal(ended.status, 200, 'the chat is ended');
    await customer.getByText('Chat ended').waitFor();
    await customer.reload();
    await customer.getByText('Chat ended').waitFor();
    const log = customer.getByRole('log');
    const bubble = kind.shown(log, label);
    await bubble.waitFor({ timeout: 10_000 });
    t.equal(await bubble.count(), 1, 'after the reload: still shown, once');
    t.match(await bubble.innerText(), /Not sent: the chat has ended/, 'as not sent, and why');
    t.same(await kind.onServer(chat), [], 'the server never got it');
    t.same(pages.pageErrors, [], 'no script errors');
  });
}

// A text given up on (Not sent) because only the sends failed (a proxy dropping POSTs): the page's
// socket stays up, so nothing else sends it again.
async function givenUpText(label: string): Promise<{ customer: Page; chat: Chat }> {
  const customer = await pages.newPage();
  await startChatPage(customer, server.url, 'Ines', '+351912345678');
  await customer.getByText('Waiting for an agent').waitFor();
  const chat = await storedChat(customer);
  await customer.route('**/api/v1/chats/*/messages', (route) => (route.request().method() === 'POST' ? route.abort() : route.continue()));
  await kinds[0]!.send(customer, label);
  await customer.getByText('Not sent').waitFor({ timeout: 30_000 });
  await customer.unroute('**/api/v1/chats/*/messages');
  return { customer, chat };
}

t.test('a text given up on goes before the next one typed: the server holds them in the order they were written', async (t) => {
  const { customer, chat } = await givenUpText('first');
  await kinds[0]!.send(customer, 'second');
  const log = customer.getByRole('log');
  await sent(kinds[0]!.shown(log, 'second')).waitFor({ timeout: 20_000 });
  await sent(kinds[0]!.shown(log, 'first')).waitFor({ timeout: 20_000 });
  t.same(await kinds[0]!.onServer(chat), ['first', 'second'], 'in the order written, each once');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test('after a reload, a text typed while the history loads goes after the texts kept unsent', async (t) => {
  const { customer, chat } = await givenUpText('kept');

  // The history is slow to come after the reload; the customer types meanwhile.
  let releaseHistory = () => {};
  const historyHeld = new Promise<void>((resolve) => (releaseHistory = resolve));
  await customer.route('**/api/v1/chats/*/messages?after=*', async (route) => {
    await historyHeld;
    await route.continue();
  });
  await customer.reload();
  await customer.getByLabel('Message').waitFor();
  await customer.getByRole('button', { name: 'Send' }).and(customer.locator(':not([disabled])')).waitFor();
  await kinds[0]!.send(customer, 'typed meanwhile');
  await customer.waitForTimeout(1000);
  releaseHistory();
  const log = customer.getByRole('log');
  await sent(kinds[0]!.shown(log, 'typed meanwhile')).waitFor({ timeout: 20_000 });
  await sent(kinds[0]!.shown(log, 'kept')).waitFor({ timeout: 20_000 });
  t.same(await kinds[0]!.onServer(chat), ['kept', 'typed meanwhile'], 'in the order written');
  t.same(pages.pageErrors, [], 'no script errors');
});

// End to end in real Chromium: a message or a photo the customer sent while the network was down is
// kept on the device; after a reload it is shown and delivered, once, with the client_id it was first
// sent with; and one given up on while the network was down is sent again once the page's socket is back.
import t from 'tap';
import type { Page } from 'playwright-core';
import { pageMaker, startChatPage, withBrowser, withServer } from '../helpers/fixtures.ts';
import { startFlakyLink } from '../helpers/flaky-link.ts';
import { makePng } from '../helpers/images.ts';

const server = await withServer(t);
const pages = pageMaker(await withBrowser(t));
const MESSAGES = '**/api/v1/chats/*/messages';
const PHOTOS = '**/api/v1/chats/*/attachments';

async function storedChat(page: Page): Promise<{ id: string; token: string }> {
  return page.evaluate(() => JSON.parse(localStorage.getItem('chat:roadside') ?? 'null') as { id: string; token: string });
}

async function serverMessages(chat: { id: string; token: string }): Promise<{ text?: string; attachment?: { file_name: string } | null }[]> {
  const res = await fetch(`${server.url}/api/v1/chats/${chat.id}/messages`, { headers: { authorization: `Bearer ${chat.token}` } });
  return ((await res.json()) as { messages: { text?: string; attachment?: { file_name: string } | null }[] }).messages;
}

async function serverTexts(chat: { id: string; token: string }): Promise<string[]> {
  return (await serverMessages(chat)).map((m) => m.text ?? '');
}

const serverPhotos = async (chat: { id: string; token: string }) => (await serverMessages(chat)).flatMap((m) => (m.attachment ? [m.attachment.file_name] : []));

t.test('a message not sent before a reload is sent after it, once', async (t) => {
  const customer = await pages.newPage();
  await startChatPage(customer, server.url, 'Ines', '+351912345678');
  await customer.getByText('Waiting for an agent').waitFor();
  const chat = await storedChat(customer);

  // The network refuses every message: the page gives up on it and says so.
  await customer.route(MESSAGES, (route) => (route.request().method() === 'POST' ? route.abort() : route.continue()));
  await customer.getByLabel('Message').fill('hello');
  await customer.getByRole('button', { name: 'Send' }).click();
  await customer.getByText('Not sent').waitFor({ timeout: 30_000 });
  t.same(await serverTexts(chat), [], 'the server has not got it');

  await customer.unroute(MESSAGES);
  await customer.reload();
  const log = customer.getByRole('log');
  await log.locator('.msg-customer:not(.msg-pending)', { hasText: 'hello' }).waitFor({ timeout: 20_000 });
  t.equal(await log.getByText('hello', { exact: true }).count(), 1, 'after the reload: exactly one "hello" bubble, sent');
  t.same(await serverTexts(chat), ['hello'], 'the chat holds it once');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test('a message given up on while the network was down is sent once the socket is back', async (t) => {
  const link = await startFlakyLink(server.port);
  t.teardown(() => link.close());
  const customer = await pages.newPage();
  await startChatPage(customer, link.url, 'Ines', '+351912345678');
  await customer.getByText('Waiting for an agent').waitFor();
  await customer.getByText('Connected', { exact: true }).waitFor();
  const chat = await storedChat(customer);

  link.cut();
  await customer.getByLabel('Message').fill('are you there?');
  await customer.getByRole('button', { name: 'Send' }).click();
  await customer.getByText('Not sent').waitFor({ timeout: 30_000 });
  t.same(await serverTexts(chat), [], 'the server has not got it');

  link.restore();
  const log = customer.getByRole('log');
  await log.locator('.msg-customer:not(.msg-pending):not(.msg-failed)', { hasText: 'are you there?' }).waitFor({ timeout: 30_000 });
  t.equal(await log.getByText('are you there?', { exact: true }).count(), 1, 'one bubble, sent, with no reload and no Retry');
  t.same(await serverTexts(chat), ['are you there?'], 'the chat holds it once');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test('a photo not sent before a reload is sent after it, once', async (t) => {
  const customer = await pages.newPage();
  await startChatPage(customer, server.url, 'Ines', '+351912345678');
  await customer.getByText('Waiting for an agent').waitFor();
  const chat = await storedChat(customer);

  // The network refuses every photo: the page gives up on it and says so, the photo still shown.
  await customer.route(PHOTOS, (route) => (route.request().method() === 'POST' ? route.abort() : route.continue()));
  await customer.getByLabel('Photo').setInputFiles({ name: 'flat-tyre.png', mimeType: 'image/png', buffer: makePng(40, 30) });
  await customer.getByText('Not sent').waitFor({ timeout: 30_000 });
  t.equal(await customer.getByRole('log').getByRole('img', { name: 'flat-tyre.png' }).count(), 1, 'the photo is shown, not sent');
  t.same(await serverPhotos(chat), [], 'the server has not got it');

  await customer.unroute(PHOTOS);
  await customer.reload();
  const log = customer.getByRole('log');
  await log.locator('.msg-customer:not(.msg-pending):not(.msg-failed) img[alt="flat-tyre.png"]').waitFor({ timeout: 20_000 });
  t.equal(await log.getByRole('img', { name: 'flat-tyre.png' }).count(), 1, 'after the reload: exactly one photo bubble, sent');
  t.same(await serverPhotos(chat), ['flat-tyre.png'], 'the chat holds it once');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test('a photo given up on while the network was down is sent once the socket is back', async (t) => {
  const link = await startFlakyLink(server.port);
  t.teardown(() => link.close());
  const customer = await pages.newPage();
  await startChatPage(customer, link.url, 'Ines', '+351912345678');
  await customer.getByText('Waiting for an agent').waitFor();
  await customer.getByText('Connected', { exact: true }).waitFor();
  const chat = await storedChat(customer);

  link.cut();
  await customer.getByLabel('Photo').setInputFiles({ name: 'dashboard.png', mimeType: 'image/png', buffer: makePng(30, 20) });
  await customer.getByText('Not sent').waitFor({ timeout: 30_000 });
  t.same(await serverPhotos(chat), [], 'the server has not got it');

  link.restore();
  const log = customer.getByRole('log');
  await log.locator('.msg-customer:not(.msg-pending):not(.msg-failed) img[alt="dashboard.png"]').waitFor({ timeout: 30_000 });
  t.equal(await log.getByRole('img', { name: 'dashboard.png' }).count(), 1, 'one photo bubble, sent, with no reload and no Retry');
  t.same(await serverPhotos(chat), ['dashboard.png'], 'the chat holds it once');
  t.same(pages.pageErrors, [], 'no script errors');
});

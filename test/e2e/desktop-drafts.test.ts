// End to end in real Chromium: what an agent typed and did not send stays in that chat's Message box
// when the agent looks at another chat and comes back, or reloads the page; once sent, it is gone, and
// the customer gets it once.
import t from 'tap';
import type { Page } from 'playwright-core';
import { agentPost, setPresence } from '../helpers/desktop-client.ts';
import { acceptedChat, logInPage, pageMaker, withBrowser, withDesk } from '../helpers/fixtures.ts';

const { server, api, agent1, agent2 } = await withDesk(t);
const pages = pageMaker(await withBrowser(t));

// The chat's panel from the list, as the agent opens it (htmx swaps the workspace).
async function open(page: Page, chatId: string): Promise<void> {
  await page.locator(`#interaction-list a[href="/desktop/interactions/${chatId}"]`).click();
  await page.locator(`#message-${chatId}`).waitFor();
}

// Agent One's desktop in the browser, the chat's panel open.
async function desktopOn(chatId: string): Promise<Page> {
  const page = await pages.newPage();
  await logInPage(page, server.url);
  await page.waitForURL(`${server.url}/desktop`);
  await open(page, chatId);
  return page;
}

const boxValue = (page: Page, chatId: string, value: string) =>
  page.waitForFunction(([id, v]) => (document.getElementById(`message-${id}`) as HTMLTextAreaElement | null)?.value === v, [chatId, value] as const, { timeout: 10_000 });

t.test('a draft stays with its chat across switching chats and a reload, and goes once sent', async (t) => {
  const first = await acceptedChat(t, api, agent1);
  const second = await acceptedChat(t, api, agent1);
  const page = await desktopOn(first.id);

  await page.locator(`#message-${first.id}`).fill('Your tow truck is');
  await open(page, second.id);
  t.equal(await page.locator(`#message-${first.id}`).count(), 0, "the first chat's panel is gone");
  t.equal(await page.locator(`#message-${second.id}`).inputValue(), '', "the other chat's box is its own, empty");

  await open(page, first.id);
  await t.resolves(boxValue(page, first.id, 'Your tow truck is'), 'back on the first chat, the draft is in its box');

  await page.reload();
  await page.locator(`#message-${first.id}`).waitFor();
  await t.resolves(boxValue(page, first.id, 'Your tow truck is'), 'a reload keeps it too');

  await page.locator(`#message-${first.id}`).pressSequentially(' 10 minutes away');
  await page.locator(`#composer-${first.id}`).getByRole('button', { name: 'Send' }).click();
  await page.locator('li.entry-message.from-agent', { hasText: 'Your tow truck is 10 minutes away' }).waitFor();
  await boxValue(page, first.id, '');

  await open(page, second.id);
  await open(page, first.id);
  await page.waitForTimeout(300); // a restore would come as the panel settles
  t.equal(await page.locator(`#message-${first.id}`).inputValue(), '', 'a sent draft does not come back');
  const texts = (await api.messages(first)).map((m) => m.text);
  t.same(texts.filter((text) => text === 'Your tow truck is 10 minutes away'), ['Your tow truck is 10 minutes away'], 'the customer got it once');
  t.same(pages.pageErrors, []);
});

t.test('a send that could not reach the server keeps its draft, with its client id, across switching chats', async (t) => {
  const first = await acceptedChat(t, api, agent1);
  const second = await acceptedChat(t, api, agent1);
  const page = await desktopOn(first.id);
  const clientId = () => page.locator(`#composer-${first.id} input[name="client_id"]`).inputValue();

  await page.route(`**/desktop/interactions/${first.id}/messages`, (route) => route.abort());
  await page.locator(`#message-${first.id}`).fill('Help is on the way');
  const idSent = await clientId();
  await page.locator(`#composer-${first.id}`).getByRole('button', { name: 'Send' }).click();
  await page.locator('#desk-alert', { hasText: 'could not be reached' }).waitFor();
  await open(page, second.id);
  await open(page, first.id);
  await t.resolves(boxValue(page, first.id, 'Help is on the way'), 'the text not sent is back in its box');
  t.equal(await clientId(), idSent, 'with the client id it was sent with (stored after all, it would not be stored twice)');

  await page.unroute(`**/desktop/interactions/${first.id}/messages`);
  await page.locator(`#composer-${first.id}`).getByRole('button', { name: 'Send' }).click();
  await page.locator('li.entry-message.from-agent', { hasText: 'Help is on the way' }).waitFor();
  t.same((await api.messages(first)).filter((m) => m.text === 'Help is on the way').length, 1, 'the customer gets it once');
});

t.test("another agent logging in on the same tab does not get the first agent's drafts", async (t) => {
  const chat = await acceptedChat(t, api, agent1);
  const page = await desktopOn(chat.id);
  await page.locator(`#message-${chat.id}`).fill('Only agent one wrote this');
  // The session goes without Log out (it expired, or was ended elsewhere); agent two logs in on this tab.
  await page.context().clearCookies();
  await logInPage(page, server.url, 'agent2');
  await page.waitForURL(`${server.url}/desktop`);
  await setPresence(agent2, 'ready');
  t.teardown(() => setPresence(agent2, 'not_ready'));
  t.equal((await agentPost(agent1, `/desktop/interactions/${chat.id}/transfer`, { to: 'agent:agent2' })).status, 200, 'agent one transfers the chat to agent two');
  t.equal((await agentPost(agent2, `/desktop/interactions/${chat.id}/accept-transfer`)).status, 200, 'who accepts it');
  await page.goto(`${server.url}/desktop/interactions/${chat.id}`);
  await page.locator(`#message-${chat.id}`).waitFor();
  await page.waitForTimeout(300); // a restore would come as the panel settles
  t.equal(await page.locator(`#message-${chat.id}`).inputValue(), '', "agent two's box is empty");
});

t.test('a text sent just before the agent opens another chat does not come back once it got through', async (t) => {
  const first = await acceptedChat(t, api, agent1);
  const second = await acceptedChat(t, api, agent1);
  const page = await desktopOn(first.id);
  // The answer is held back until the agent has left the chat's panel.
  let release = () => {};
  const left = new Promise<void>((resolve) => (release = resolve));
  await page.route(`**/desktop/interactions/${first.id}/messages`, async (route) => {
    await left;
    await route.continue();
  });
  await page.locator(`#message-${first.id}`).fill('On my way to you');
  await page.locator(`#composer-${first.id}`).getByRole('button', { name: 'Send' }).click();
  await open(page, second.id);
  release();
  await page.waitForResponse(`**/desktop/interactions/${first.id}/messages`);
  t.same((await api.messages(first)).filter((m) => m.text === 'On my way to you').length, 1, 'it got through');
  await page.reload();
  await open(page, first.id);
  await page.waitForTimeout(300); // a restore would come as the panel settles
  t.equal(await page.locator(`#message-${first.id}`).inputValue(), '', 'its box is empty, on the first chat and after a reload');
});

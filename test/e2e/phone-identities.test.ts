// Phone identities per chat on the simulated PSTN, end to end with real parts (the server's own
// Asterisk, Chromium): any chat may give any number, so a chat's phone is its own, never the number's.
// Two customer pages give the same number; the agent calls from the first chat: only the first page
// rings. An ended chat gets no phone, and its phone leaves Asterisk.
import type { Page } from 'playwright-core';
import t from 'tap';
import { eventually } from '../helpers/eventually.ts';
import { logInPage, startChatPage, withBrowser, withServer } from '../helpers/fixtures.ts';
import { ariCredentials, mediaFlows, startChat, VOICE_ENV } from '../helpers/voice.ts';

const NUMBER = '+15551230088';

// The chat the customer page started, as the page keeps it (its id and token).
const storedChat = (page: Page) => page.evaluate(() => JSON.parse(localStorage.getItem('chat:roadside') ?? 'null') as { id: string; token: string });

const askPhone = (server: { url: string }, chat: { id: string; token: string }) =>
  fetch(`${server.url}/api/v1/chats/${chat.id}/phone`, {
    method: 'POST',
    headers: { authorization: `Bearer ${chat.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'sip' }),
  });

t.test("a second chat with the same number never gets the first chat's calls", async (t) => {
  const server = await withServer(t, { env: VOICE_ENV });
  const browser = await withBrowser(t);
  const agent = await (await browser.newContext()).newPage();
  const first = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  const second = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  let secondRang = false;

  await logInPage(agent, server.url);
  await agent.getByRole('button', { name: 'Ready', exact: true }).click();
  await agent.locator('#phone-state', { hasText: 'Phone ready' }).waitFor({ timeout: 20_000 });
  await startChatPage(first, server.url, 'Tom', NUMBER);
  await first.getByText(/Phone ready/).waitFor({ timeout: 20_000 });
  await agent.getByRole('button', { name: 'Accept' }).click();
  // Not Ready: the second chat waits in the queue, and the desktop shows only the first chat.
  await agent.getByRole('button', { name: 'Not Ready', exact: true }).click();

  // The second page gives the same number and registers its phone after the first one.
  await startChatPage(second, server.url, 'Mallory', NUMBER);
  await second.getByText(/Phone ready/).waitFor({ timeout: 20_000 });
  const ringing = second.getByText('The agent is calling you');
  void ringing.waitFor({ timeout: 120_000 }).then(
    () => (secondRang = true),
    () => undefined, // the page closed at the end of the test without ringing: what we want
  );

  await agent.getByRole('button', { name: NUMBER }).click();
  await first.getByText('The agent is calling you').waitFor({ timeout: 20_000 });
  await first.getByRole('button', { name: 'Answer' }).click();
  await agent.locator('.call-state.call-connected').waitFor({ timeout: 20_000 });
  t.pass("the first chat's page rang and answered: the call is connected");
  await mediaFlows(t, first, "the first chat's page");
  await mediaFlows(t, agent, 'the agent');
  t.notOk(secondRang, "the second page's phone never rang");
  t.equal(await ringing.count(), 0, 'the second page shows no call');
  t.equal(await second.getByRole('button', { name: 'Answer' }).isVisible(), false, 'and nothing to answer');

  const login = async (page: Page) => (await (await askPhone(server, await storedChat(page))).json()) as { username: string; password: string };
  const [loginA, loginB] = [await login(first), await login(second)];
  t.not(loginA.username, loginB.username, 'each chat has its own phone');
  t.notOk(/^[0-9]+$/.test(loginA.username) || loginA.username.includes(NUMBER.slice(1)), "a chat's phone is not named after the number");
  t.not(loginA.password, loginB.password, 'and its own password');

  await first.getByRole('button', { name: 'Hang up' }).click();
  await agent.locator('.call-state.call-released').waitFor({ timeout: 20_000 });
});

t.test('an ended chat gets no phone, and its phone leaves Asterisk; asking too often is refused', async (t) => {
  const server = await withServer(t, { env: { ...VOICE_ENV, PHONE_REQUESTS_PER_CHAT_PER_MINUTE: '2' } });
  const ari = await ariCredentials(server);
  const chat = await startChat(server, 'roadside', NUMBER);
  const phone = await askPhone(server, chat);
  t.equal(phone.status, 200, 'an open chat gets its phone');
  const login = (await phone.json()) as { username: string };
  const endpoint = () => fetch(`${ari.url}/endpoints/PJSIP/${login.username}`, { headers: { authorization: ari.auth } });
  t.equal((await endpoint()).status, 200, 'the phone is an endpoint in Asterisk');
  const again = await askPhone(server, chat);
  t.equal(again.status, 200, 'asking again is answered');
  t.equal(((await again.json()) as { username: string }).username, login.username, 'with the same phone');
  const tooOften = await askPhone(server, chat);
  t.equal(tooOften.status, 429, 'a third ask within the minute is refused');
  t.ok(Number(tooOften.headers.get('retry-after')) > 0, 'with Retry-After');

  const ended = await fetch(`${server.url}/api/v1/chats/${chat.id}/end`, { method: 'POST', headers: { authorization: `Bearer ${chat.token}` } });
  t.equal(ended.status, 200, 'the customer ends the chat');
  const refused = await askPhone(server, chat);
  t.equal(refused.status, 409, 'the ended chat is refused a phone');
  t.same(await refused.json(), { error: { code: 'chat_ended', message: 'This chat has ended.' } });
  await eventually('the phone removed', async () => ((await endpoint()).status === 404 ? true : undefined), 10_000);
  t.pass("the ended chat's phone is no longer an endpoint in Asterisk");
});

t.test('SIMULATED_PSTN=off: customer pages get no phone', async (t) => {
  const server = await withServer(t, { env: { ...VOICE_ENV, SIMULATED_PSTN: 'off' } });
  const chat = await startChat(server, 'roadside', NUMBER);
  const res = await askPhone(server, chat);
  t.equal(res.status, 404, 'no simulated PSTN, no phone');
  t.equal(((await res.json()) as { error: { code: string } }).error.code, 'no_simulated_pstn');
});

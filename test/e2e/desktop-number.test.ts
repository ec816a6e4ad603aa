// End to end in real Chromium with a real Asterisk: the customer's number in an open chat panel is the
// click-to-call control, and it follows the chat without a call ever made: once the customer ends the
// chat, the number says why it can no longer be called (not a control that answers with a refusal).
import t from 'tap';
import { ApiClient } from '../helpers/api-client.ts';
import { readyDesktop, pageMaker, withBrowser, withServer } from '../helpers/fixtures.ts';

const PHONE = '+15551230091';

t.test("the customer's number stops being callable when the customer ends a chat that had no call", async (t) => {
  const server = await withServer(t, { env: { TELEPHONY: 'local', ASTERISK_HTTP_PORT: '0', ASTERISK_SIP_PORT: '0' } });
  const pages = pageMaker(await withBrowser(t));
  const agent = await pages.newPage();
  await readyDesktop(agent, server.url);
  await agent.locator('#phone-state', { hasText: 'Phone ready' }).waitFor({ timeout: 30_000 });
  const api = new ApiClient(server.url);
  const chat = await api.createChat({ phone: PHONE });
  await agent.getByRole('button', { name: 'Accept' }).click();
  const number = agent.getByRole('button', { name: PHONE });
  await number.and(agent.locator(':not([aria-disabled])')).waitFor({ timeout: 20_000 });
  t.pass('while the chat runs, the number is callable');

  t.equal((await api.end(chat)).status, 200, 'the customer ends the chat');
  await number.and(agent.locator('[aria-disabled="true"]')).waitFor({ timeout: 10_000 });
  t.match(await number.getAttribute('title'), /\S/, `it says why: ${await number.getAttribute('title')}`);
  t.same(pages.pageErrors, []);
});

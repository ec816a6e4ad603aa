// Development demo with the simulated PSTN: the customer page's phone belongs to its chat. When the chat
// ends the phone goes with it (no socket reopened for the ended chat), and after Start a new chat the new
// chat has its own phone, which the agent's click-to-call rings.
import t from 'tap';
import { logInPage, startChatPage, withBrowser, withServer } from '../helpers/fixtures.ts';

const PHONE = '+15551230078';

t.test('after an ended chat, the next chat on the page gets a phone the agent can ring', async (t) => {
  const server = await withServer(t, { env: { TELEPHONY: 'local', ASTERISK_HTTP_PORT: '0', ASTERISK_SIP_PORT: '0' } });
  const browser = await withBrowser(t);
  const agent = await (await browser.newContext()).newPage();
  const customer = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  const pageErrors: string[] = [];
  customer.on('pageerror', (err) => pageErrors.push(err.message));
  const sipOpens: string[] = [];
  customer.on('websocket', (ws) => void (new URL(ws.url()).pathname === '/sip' && sipOpens.push(ws.url())));

  await logInPage(agent, server.url);
  await agent.waitForURL(`${server.url}/desktop`);

  // The first chat, with its phone, ended by the customer before anyone answered.
  await startChatPage(customer, server.url, 'Tom', PHONE);
  await customer.getByText(/Phone ready/).waitFor({ timeout: 20_000 });
  const first = await customer.evaluate(() => (JSON.parse(localStorage.getItem('chat:roadside') ?? '{}') as { id: string }).id);
  await customer.getByRole('button', { name: 'End chat' }).click();
  await customer.getByText('Chat ended').first().waitFor();
  const opensAtEnd = sipOpens.length;
  await customer.waitForTimeout(15_000);
  const reopened = sipOpens.slice(opensAtEnd).filter((url) => new URL(url).searchParams.get('chat') === first);
  t.same(reopened, [], 'no phone socket is opened again for the ended chat');
  t.notOk(await customer.locator('#sim-phone').isVisible(), 'the ended chat shows no phone bar');

  // The next chat on the same page: its phone registers, and the agent's call rings it.
  // No reload: the same page, as the customer uses it.
  await customer.getByRole('button', { name: 'Start a new chat' }).click();
  await customer.getByLabel('Name').fill('Tom');
  await customer.getByLabel('Phone').fill(PHONE);
  await customer.getByRole('button', { name: 'Start chat' }).click();
  await customer.getByText(/Phone ready/).waitFor({ timeout: 20_000 });
  await agent.getByRole('button', { name: 'Ready', exact: true }).click();
  await agent.locator('#phone-state', { hasText: 'Phone ready' }).waitFor({ timeout: 20_000 });
  await agent.getByRole('button', { name: 'Accept' }).click();
  await agent.getByRole('button', { name: PHONE }).click();
  await customer.getByRole('button', { name: 'Answer' }).waitFor({ timeout: 20_000 });
  t.pass("the agent's call rings the new chat's phone: Answer appears");
  await customer.getByRole('button', { name: 'Answer' }).click();
  await agent.locator('.call-state.call-connected').waitFor({ timeout: 20_000 });
  await customer.getByRole('button', { name: 'Hang up' }).click();
  await agent.locator('.call-state.call-released', { hasText: 'customer hung up' }).waitFor({ timeout: 20_000 });
  t.pass('answered and hung up from the new chat\'s phone');
  t.same(pageErrors, [], 'no script errors');
});

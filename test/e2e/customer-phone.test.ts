// Development demo with two tabs: the customer page is the customer's phone on the simulated PSTN, so
// the agent's click-to-call rings in the page, which shows Answer and Hang up.
import t from 'tap';
import { logInPage, startChatPage, withBrowser, withServer } from '../helpers/fixtures.ts';

t.test('the customer page answers and hangs up the agent call', async (t) => {
  const server = await withServer(t, { env: { TELEPHONY: 'local', ASTERISK_HTTP_PORT: '0', ASTERISK_SIP_PORT: '0' } });
  const browser = await withBrowser(t);
  const agent = await (await browser.newContext()).newPage();
  const customer = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();

  await logInPage(agent, server.url);
  await agent.getByRole('button', { name: 'Ready', exact: true }).click();
  await agent.locator('#phone-state', { hasText: 'Phone ready' }).waitFor({ timeout: 20_000 });

  await startChatPage(customer, server.url, 'Tom', '+15551230077');
  await customer.getByText(/Phone ready/).waitFor({ timeout: 20_000 });
  await agent.getByRole('button', { name: 'Accept' }).click();

  await agent.getByRole('button', { name: '+15551230077' }).click();
  await customer.getByText('The agent is calling you').waitFor({ timeout: 20_000 });
  await customer.getByRole('button', { name: 'Answer' }).click();
  await agent.locator('.call-state.call-connected').waitFor({ timeout: 20_000 });
  t.pass('answered from the customer page: the call is connected');
  await customer.getByRole('button', { name: 'Hang up' }).click();
  await agent.locator('.call-state.call-released', { hasText: 'customer hung up' }).waitFor({ timeout: 20_000 });
  t.pass('hung up from the customer page: the agent sees the call released');
});

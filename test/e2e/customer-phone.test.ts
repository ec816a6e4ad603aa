// Development demo with two tabs: the customer page is the customer's phone on the simulated PSTN, so
// the agent's click-to-call rings in the page, which shows Answer and Hang up.
import t from 'tap';
import { launchBrowser } from '../helpers/browser.ts';
import { removeDir, startServer } from '../helpers/server.ts';

t.test('the customer page answers and hangs up the agent call', async (t) => {
  const server = await startServer({ env: { TELEPHONY: 'local', ASTERISK_HTTP_PORT: '0', ASTERISK_SIP_PORT: '0' } });
  const browser = await launchBrowser();
  t.teardown(async () => {
    await browser.close();
    await server.stop();
    await removeDir(server.dataDir);
  });
  const agent = await (await browser.newContext()).newPage();
  const customer = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();

  await agent.goto(`${server.url}/login`);
  await agent.getByLabel('Username').fill('agent1');
  await agent.getByLabel('Password').fill('demo');
  await agent.getByRole('button', { name: 'Log in' }).click();
  await agent.getByRole('button', { name: 'Ready', exact: true }).click();
  await agent.locator('#phone-state', { hasText: 'Phone ready' }).waitFor({ timeout: 20_000 });

  await customer.goto(`${server.url}/m/roadside`);
  await customer.getByLabel('Name').fill('Tom');
  await customer.getByLabel('Phone').fill('+15551230077');
  await customer.getByRole('button', { name: 'Start chat' }).click();
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

// End to end with a real call (real Asterisk, the agent's softphone and the customer's phone in
// Chromium): the supervisor's floor and Monitor's call panel show the call live, who is on it and its
// state, and clear it when it is released.
import t from 'tap';
import { logInPage, pageMaker, withBrowser, withServer } from '../helpers/fixtures.ts';
import { agentDesktop, customerPhone, startChat, VOICE_ENV } from '../helpers/voice.ts';

t.test("a supervisor sees a call come up and go on the floor and in Monitor's call panel", async (t) => {
  const server = await withServer(t, { env: VOICE_ENV });
  const { newPage, pageErrors } = pageMaker(await withBrowser(t));
  const agent = await newPage();
  const phone = await newPage();
  const floor = await newPage();
  const monitor = await newPage();
  await agentDesktop(agent, server);

  const number = '+15551230077';
  const chat = await startChat(server, 'roadside', number);
  await customerPhone(phone, server, chat);
  await agent.getByRole('button', { name: 'Accept' }).click();
  await agent.locator('section.interaction').waitFor();

  await logInPage(floor, server.url, 'supervisor1', 'demo');
  await floor.waitForURL(`${server.url}/desktop`);
  await floor.goto(`${server.url}/supervisor`);
  await floor.locator('#connection[data-state="open"]').waitFor();
  await logInPage(monitor, server.url, 'supervisor1', 'demo');
  await monitor.waitForURL(`${server.url}/desktop`);
  await monitor.goto(`${server.url}/supervisor/interactions/${chat.id}`);
  await monitor.locator('#connection[data-state="open"]').waitFor();
  const panel = monitor.getByRole('region', { name: 'Call' });
  await panel.getByText('No call in progress.').waitFor();

  await agent.getByRole('button', { name: number }).click();
  await panel.locator('.call-state.call-connected').waitFor({ timeout: 20_000 });
  t.match(await panel.locator('.call-parties').textContent(), `Agent One (agent) with Carla Customer (${number})`, 'who is on the call');
  await panel.locator('.timer[data-since]').waitFor();
  const row = floor.getByRole('row').filter({ hasText: 'Carla Customer' });
  await row.locator('.medium-call', { hasText: 'Connected' }).waitFor();
  t.pass('the floor shows the call, connected');

  await agent.getByRole('button', { name: 'Hold' }).click();
  await panel.locator('.call-state.call-on_hold').waitFor();
  await row.locator('.medium-call', { hasText: 'On hold' }).waitFor();
  t.pass('its state follows, live');

  await agent.getByRole('button', { name: 'Release call' }).click();
  await panel.getByText('No call in progress.').waitFor();
  await row.locator('.medium-call').waitFor({ state: 'detached' });
  await monitor.getByText(/Call to the customer: released/).first().waitFor();
  t.pass('released: gone from the panel and the floor, on the timeline');
  t.same(pageErrors, [], 'no page errors');
});

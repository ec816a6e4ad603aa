// End to end in real Chromium: the customer's mobile page and the agent desktop in two browser contexts.
import t from 'tap';
import { ApiClient } from '../helpers/api-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { logInPage, readyDesktop, startChatPage, withBrowser, withServer } from '../helpers/fixtures.ts';
import { makePng } from '../helpers/images.ts';

const LAT = 48.137154;
const LON = 11.576124;

t.test('a mobile chat from start to disconnect, seen from both sides', async (t) => {
  // Tiles point at this server (none there): the map must still show the marker and the coordinates.
  const server = await withServer(t, { env: { MAP_TILE_URL: '/no-tiles/{z}/{x}/{y}.png' } });
  const browser = await withBrowser(t);

  const customerContext = await browser.newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    permissions: ['geolocation'],
    geolocation: { latitude: LAT, longitude: LON, accuracy: 12 },
  });
  const agentContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const customer = await customerContext.newPage();
  const agent = await agentContext.newPage();
  const pageErrors: string[] = [];
  // The pages' CSP lets them connect to their own origin only ('self', which covers ws:/wss: to it):
  // their live sockets must still work, with no violation reported.
  const cspViolations: string[] = [];
  for (const page of [customer, agent]) {
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => void (/Content Security Policy/i.test(msg.text()) && cspViolations.push(msg.text())));
  }

  // The agent logs in and becomes Ready.
  await logInPage(agent, server.url);
  await agent.waitForURL(`${server.url}/desktop`);
  await agent.getByRole('button', { name: 'Ready', exact: true }).click();
  await agent.locator('.presence-ready').waitFor();

  // The customer starts a chat and shares their location.
  await startChatPage(customer, server.url, 'Maria <b>Rossi</b>', '+393331234567');
  await customer.getByRole('button', { name: 'Share location' }).click();
  await customer.getByText(/48\.13715/).first().waitFor();

  // The offer reaches the agent, who accepts it.
  await agent.getByRole('button', { name: 'Accept' }).click();
  const panel = agent.locator('section.interaction');
  await panel.waitFor();
  t.equal(await panel.locator('.customer-name').textContent(), 'Maria <b>Rossi</b>', 'the customer name is shown as text, not markup');
  t.ok(await agent.getByRole('button', { name: '+393331234567' }).isVisible(), 'the phone number is a control named by the number');
  await customer.getByText(/joined/).waitFor();

  // Messages both ways, live.
  const longText = `Hello, my car broke down. ${'It will not start at all. '.repeat(12)}End.`;
  t.ok(longText.length > 300, 'a long SMS-like text');
  await customer.getByLabel('Message').fill(longText);
  await customer.getByRole('button', { name: 'Send' }).click();
  await panel.locator('.entry-message.from-customer .text', { hasText: 'End.' }).waitFor();
  t.equal(await panel.locator('.entry-message.from-customer .text').first().textContent(), longText, 'the agent sees the long text whole');

  await agent.getByLabel('Message').fill('A tow truck is on its way.');
  await agent.getByRole('button', { name: 'Send' }).click();
  await customer.getByText('A tow truck is on its way.').waitFor();
  t.pass('the customer sees the agent reply live');

  // A photo from the customer appears in the agent's Chat Panel as a thumbnail that loads.
  await customer.getByLabel('Photo').setInputFiles({ name: 'car.png', mimeType: 'image/png', buffer: makePng(64, 48) });
  const thumb = agent.getByRole('region', { name: 'Chat Panel' }).locator('.entry-attachment img.thumb');
  await thumb.waitFor();
  await t.resolves(
    agent.waitForFunction((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth === 64, await thumb.elementHandle()),
    'the photo loads at full resolution',
  );

  // The map shows a marker and the coordinates even with no tiles reachable.
  await panel.locator('.context-map .leaflet-marker-icon').waitFor();
  t.match(await panel.locator('.context-map .coords').textContent(), /48\.13715.*11\.57612/, 'coordinates are shown');

  // Disconnect chat ends it for both sides.
  await agent.getByRole('button', { name: 'Disconnect chat' }).click();
  await panel.locator('.state-ended').waitFor();
  await customer.getByText('Chat ended').first().waitFor();
  t.ok(await customer.getByRole('button', { name: 'Send' }).isDisabled(), 'the customer cannot send into an ended chat');

  // The interaction is in the agent's history with its timeline.
  await agent.goto(`${server.url}/desktop/history`);
  await agent.getByRole('link', { name: 'Maria <b>Rossi</b>' }).click();
  await agent.getByText('A tow truck is on its way.').waitFor();
  t.same(pageErrors, [], 'no script errors on either page');
  t.same(cspViolations, [], 'no Content Security Policy violation on either page');
});

t.test('an offered chat opened before Accept: the page has one Accept for it, and it accepts', async (t) => {
  const server = await withServer(t);
  const agent = await (await (await withBrowser(t)).newContext()).newPage();
  await readyDesktop(agent, server.url);
  const chat = await new ApiClient(server.url).createChat({ name: 'Sofia' });
  await agent.locator('#interaction-list').getByRole('link', { name: 'Sofia' }).click();
  await agent.locator(`section.interaction[data-interaction="${chat.id}"]`).waitFor();
  const accept = agent.getByRole('button', { name: 'Accept' });
  await eventually('one Accept', async () => ((await accept.count()) === 1 ? true : undefined), 5000);
  await accept.click();
  await agent.locator('section.interaction .state-active').waitFor();
  t.pass('accepted from the open chat');
});

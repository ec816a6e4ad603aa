// Transfer with a live call, with real parts measured by tones: a real Asterisk, and three Chromium
// processes each playing its own tone as its microphone (customer 440 Hz, Agent One 660 Hz, Agent Two
// 880 Hz). On Accept the customer's leg is bridged to Agent Two's phone and Agent One's is released:
// the customer and Agent Two hear each other, nobody hears Agent One any more.
import type { Page } from 'playwright-core';
import t from 'tap';
import { withServer } from '../helpers/fixtures.ts';
import { expectHears, TONES } from '../helpers/tones.ts';
import { agentDesktop, ariCredentials, ariGet, callFromChat, tonePages, VOICE_ENV } from '../helpers/voice.ts';

const { customer: C, agent: ONE, supervisor: TWO } = TONES;

t.test('Transfer during a call: the call moves to Agent Two, Agent One is released', async (t) => {
  const server = await withServer(t, { env: VOICE_ENV });
  const [customer, one, two] = (await tonePages(t, [C, ONE, TWO])) as [Page, Page, Page];

  // Agent Two's phone is up but it is Not Ready while Agent One takes the chat and calls.
  await agentDesktop(two, server, { agent: 'agent2' });
  await two.getByRole('button', { name: 'Not Ready', exact: true }).click();
  await two.locator('.presence-not_ready').waitFor();
  await agentDesktop(one, server, { agent: 'agent1' });
  const number = '+15551230031';
  const { panel } = await callFromChat(one, customer, server, number);
  await expectHears(t, customer, 'before the transfer: the customer', { hears: [ONE], not: [TWO] });

  await two.getByRole('button', { name: 'Ready', exact: true }).click();
  await two.locator('.presence-ready').waitFor();
  // The panel again (htmx, no page load: the phone's call goes on), now listing Agent Two.
  await one.getByRole('link', { name: 'Carla Customer' }).click();
  await one.getByLabel('Transfer to').selectOption({ label: 'Agent Two' });
  await one.getByRole('button', { name: 'Transfer', exact: true }).click();
  await one.getByText('Transfer offered to Agent Two').waitFor();

  await two.getByRole('link', { name: 'Carla Customer' }).click();
  await two.locator('section.interaction').getByRole('button', { name: 'Accept' }).click();
  const twoPanel = two.locator('section.interaction');
  await twoPanel.locator('.call-state.call-connected').waitFor({ timeout: 30_000 });
  await two.getByText('Agent Two accepted the transfer from Agent One').waitFor();

  await expectHears(t, customer, 'after the transfer: the customer', { hears: [TWO], not: [ONE] });
  await expectHears(t, two, 'Agent Two', { hears: [C], not: [ONE] });
  await expectHears(t, one, 'Agent One', { hears: [], not: [C, TWO] });

  // In Asterisk: the customer's channel and Agent Two's, both tagged with the interaction; no channel of Agent One's.
  const ari = await ariCredentials(server);
  const channels = (await ariGet<Array<{ id: string }>>(ari, '/channels')).filter((c) => c.id.startsWith('cc-'));
  t.same(channels.map((c) => c.id.replace(/^cc-[0-9a-f-]{36}-/, '')).sort(), ['agent-1', 'customer'], "the customer's leg and Agent Two's phone, nothing else");

  // Agent Two now has the call's controls; Agent One's are off.
  await panel.locator('button.release[disabled]').waitFor();
  t.pass("Agent One's Release call is off");
  await two.getByRole('button', { name: 'Release call' }).click();
  await twoPanel.locator('.call-state.call-released').waitFor();
  await customer.waitForFunction(() => (window as unknown as { calls: number }).calls === 1);
  t.pass("the customer's phone hung up when Agent Two released the call");
});

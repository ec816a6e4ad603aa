// Consult (warm transfer) with real parts measured by tones: a real Asterisk and three Chromium
// processes, each playing its own tone as its microphone (customer 440 Hz, Agent One 770 Hz, Agent
// Two 880 Hz; not 660 Hz, which the fallback music on hold plays). During a consult the customer is on
// music on hold and hears neither agent, while the agents hear each other; Cancel transfer brings the
// customer and Agent One back together; Complete transfer leaves the customer with Agent Two, and
// Agent One hears nothing more.
import type { Page } from 'playwright-core';
import t from 'tap';
import { callChannelRoles, callWithAgentTwoAway, expectWithNewAgent, newAgentReleases } from '../helpers/handoff-calls.ts';
import { expectHears } from '../helpers/tones.ts';
import { ariCredentials, ariGet, openPanel } from '../helpers/voice.ts';

const C = 440;
const ONE = 770;
const TWO = 880;

async function consult(one: Page): Promise<void> {
  await one.getByLabel('Transfer to').selectOption({ label: 'Agent Two' });
  await one.getByRole('button', { name: 'Consult', exact: true }).click();
  await one.getByText('Talking with Agent Two: the customer is on hold.').waitFor({ timeout: 60_000 });
}

t.test('Consult: the agents talk while the customer waits; Cancel transfer, then Complete transfer', async (t) => {
  const tones = { customer: C, one: ONE, two: TWO };
  const { server, panel, pages } = await callWithAgentTwoAway(t, tones, '+15551230041');
  const { customer, one, two } = pages;

  // Agent Two becomes Ready: Agent One's Transfer to lists it at once, with no reload or click.
  await two.getByRole('button', { name: 'Ready', exact: true }).click();
  await one.getByLabel('Transfer to').locator('option', { hasText: 'Agent Two' }).waitFor({ state: 'attached' });
  t.pass("Agent Two appears in Agent One's Transfer to as it becomes Ready");

  await consult(one);
  // Agent Two reads the whole chat meanwhile, with no Accept: Agent One completes the transfer.
  await openPanel(two, 'Carla Customer');
  const twoPanel = two.locator('section.interaction');
  await twoPanel.getByText('Consult from Agent One').waitFor();
  await twoPanel.getByText('Agent One consulted Agent Two, the customer on hold').waitFor();
  t.equal(await twoPanel.getByRole('button', { name: 'Accept' }).count(), 0, 'no Accept for the consulted agent');
  t.equal(await two.locator('#interaction-list').getByRole('button', { name: 'Accept' }).count(), 0, 'nor in its list');
  await expectHears(t, customer, 'during the consult: the customer', { hears: [], not: [ONE, TWO] });
  await expectHears(t, one, 'during the consult: Agent One', { hears: [TWO], not: [C] });
  await expectHears(t, two, 'during the consult: Agent Two', { hears: [ONE], not: [C] });

  await one.getByRole('button', { name: 'Cancel transfer' }).click();
  await one.getByText('Consult with Agent Two cancelled').waitFor();
  await panel.locator('.call-state.call-connected').waitFor();
  await expectHears(t, customer, 'after Cancel transfer: the customer', { hears: [ONE], not: [TWO] });
  await expectHears(t, one, 'after Cancel transfer: Agent One', { hears: [C], not: [TWO] });

  await consult(one);
  await one.getByRole('button', { name: 'Complete transfer' }).click();
  await twoPanel.getByText('Agent One completed the transfer to Agent Two').waitFor();
  await twoPanel.locator('.call-state.call-connected').waitFor();
  await expectWithNewAgent(t, pages, tones, 'after Complete transfer');

  // In Asterisk: the customer's channel and Agent Two's (its consult channel, now the call's), nothing else.
  const ari = await ariCredentials(server);
  t.same(await callChannelRoles(ari), ['agent-2', 'customer'], "the customer's leg and Agent Two's phone (its second ring: the first was cancelled)");
  const bridges = (await ariGet<Array<{ id: string }>>(ari, '/bridges')).filter((b) => b.id.startsWith('cc-'));
  t.equal(bridges.length, 1, "the call's bridge only: no consult bridge is left");

  await one.getByText('No chats yet.').waitFor();
  t.pass("the chat left Agent One's list");
  await newAgentReleases(t, pages);
});

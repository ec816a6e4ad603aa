// Steps shared by the e2e tests of a call handed on to another agent (transfer, consult): who hears
// whom once the call is the new agent's, what is left of it in Asterisk, and its release by the new agent.
import type { Page } from 'playwright-core';
import type { Test } from 'tap';
import { withServer } from './fixtures.ts';
import { recordCalls } from './recording.ts';
import { expectHears } from './tones.ts';
import { agentDesktop, ariGet, callFromChat, openPanel, tonePages, VOICE_ENV } from './voice.ts';

export interface HandoffPages {
  customer: Page;
  one: Page;
  two: Page;
}

export interface HandoffTones {
  customer: number;
  one: number;
  two: number;
}

// A server with its own Asterisk and three Chromium processes, each playing its party's tone: Agent One
// on a call with the customer (who hears it), Agent Two's phone up but Agent Two Not Ready.
// `recorded`: the service records its calls (the call is recorded from its answer).
export async function callWithAgentTwoAway(t: Test, tones: HandoffTones, number: string, opts: { recorded?: boolean } = {}) {
  const server = await withServer(t, { env: VOICE_ENV });
  if (opts.recorded) await recordCalls(server);
  const [customer, one, two] = (await tonePages(t, [tones.customer, tones.one, tones.two])) as [Page, Page, Page];
  await agentDesktop(two, server, { agent: 'agent2' });
  await two.getByRole('button', { name: 'Not Ready', exact: true }).click();
  await two.locator('.presence-not_ready').waitFor();
  await agentDesktop(one, server, { agent: 'agent1' });
  const { panel } = await callFromChat(one, customer, server, number);
  await expectHears(t, customer, 'before the handoff: the customer', { hears: [tones.one], not: [tones.two] });
  return { server, panel, pages: { customer, one, two } };
}

// The customer and Agent Two hear each other; Agent One hears nothing of the call any more.
export async function expectWithNewAgent(t: Test, pages: HandoffPages, tones: HandoffTones, when: string): Promise<void> {
  await expectHears(t, pages.customer, `${when}: the customer`, { hears: [tones.two], not: [tones.one] });
  await expectHears(t, pages.two, `${when}: Agent Two`, { hears: [tones.customer], not: [tones.one] });
  await expectHears(t, pages.one, `${when}: Agent One`, { hears: [], not: [tones.customer, tones.two] });
}

// The controller's channels in Asterisk, by their role in the call ('agent', 'agent-<n>', 'customer').
export async function callChannelRoles(ari: { url: string; auth: string }): Promise<string[]> {
  const channels = await ariGet<Array<{ id: string }>>(ari, '/channels');
  return channels
    .map((c) => c.id)
    .filter((id) => id.startsWith('cc-'))
    .map((id) => id.replace(/^cc-[0-9a-f-]{36}-/, ''))
    .sort();
}

// Release call by Agent Two hangs up the customer's phone (a page of voice.ts's customerPhone).
export async function newAgentReleases(t: Test, pages: HandoffPages): Promise<void> {
  await pages.two.getByRole('button', { name: 'Release call' }).click();
  await pages.two.locator('section.interaction .call-state.call-released').waitFor();
  await pages.customer.waitForFunction(() => (window as unknown as { calls: number }).calls === 1);
  t.pass("the customer's phone hung up when Agent Two released the call");
}

// A cold transfer on two desktops: `target` goes Ready, `from` opens Carla Customer's panel again (htmx,
// no page load: a call goes on) and offers it the interaction, `target` opens the offer and accepts.
export async function transferOnDesktops(from: Page, target: Page, targetName: string): Promise<void> {
  await target.getByRole('button', { name: 'Ready', exact: true }).click();
  await target.locator('.presence-ready').waitFor();
  await openPanel(from, 'Carla Customer');
  await from.getByLabel('Transfer to').selectOption({ label: targetName });
  await from.getByRole('button', { name: 'Transfer', exact: true }).click();
  await from.getByText(`Transfer offered to ${targetName}`).waitFor();
  await openPanel(target, 'Carla Customer');
  await target.locator('section.interaction').getByRole('button', { name: 'Accept' }).click();
}

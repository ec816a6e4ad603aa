// Silent monitoring stays silent through a transfer, with real parts measured by tones: a real
// Asterisk and four Chromium processes (customer 440 Hz, Agent One 660 Hz, Agent Two 880 Hz, and the
// supervisor's phone). Agent One transfers a call Supervisor One listens to, as if nobody listened; on
// Accept the supervisor leaves Agent One's phone before the call moves, nothing tells either agent,
// and the supervisor may listen again, now to Agent Two.
import t from 'tap';
import type { Page } from 'playwright-core';
import { logInPage } from '../helpers/fixtures.ts';
import { callChannelRoles, callWithAgentTwoAway, expectWithNewAgent, transferOnDesktops } from '../helpers/handoff-calls.ts';
import { expectHears, TONES } from '../helpers/tones.ts';
import { ariCredentials, ariGet, tonePages } from '../helpers/voice.ts';

const { customer: C, agent: ONE, supervisor: TWO } = TONES;
const SUPERVISOR_MIC = 1000; // heard by nobody: it is never asserted

t.test("a supervisor who only listens leaves at the transfer's Accept, unseen by the agents, and may listen to the new agent", async (t) => {
  const tones = { customer: C, one: ONE, two: TWO };
  const { server, panel, pages } = await callWithAgentTwoAway(t, tones, '+15551230041');
  const chatId = (await panel.getAttribute('data-interaction'))!;
  const [supervisor] = (await tonePages(t, [SUPERVISOR_MIC])) as [Page];
  await logInPage(supervisor, server.url, 'supervisor1', 'demo');
  await supervisor.waitForURL(`${server.url}/desktop`);
  await supervisor.goto(`${server.url}/supervisor/interactions/${chatId}`);
  await supervisor.locator('#connection[data-state="open"]').waitFor();
  await supervisor.locator('#phone-state', { hasText: 'Phone ready' }).waitFor({ timeout: 20_000 });
  const controls = supervisor.getByRole('region', { name: 'Call' }).locator('.supervisor-controls');
  await supervisor.getByRole('button', { name: 'Listen' }).click();
  await controls.getByText('You: listening').waitFor({ timeout: 20_000 });
  await expectHears(t, supervisor, 'Listen: the supervisor', { hears: [C, ONE], not: [] });

  // Agent One's Transfer is there as on any call: nothing on the panel says someone listens.
  t.notOk(await panel.getByRole('button', { name: 'Transfer', exact: true }).isDisabled(), "Agent One's Transfer is enabled");
  await transferOnDesktops(pages.one, pages.two, 'Agent Two');
  await pages.two.locator('section.interaction .call-state.call-connected').waitFor({ timeout: 30_000 });
  await pages.two.getByText('Agent Two accepted the transfer from Agent One').waitFor();
  await expectWithNewAgent(t, pages, tones, 'after the transfer');

  // The supervisor left before the call moved: their phone hung up, Monitor says why.
  await controls.getByText('You:').waitFor({ state: 'detached', timeout: 20_000 });
  await supervisor.waitForFunction(() => !(window as unknown as { softphone: { session: unknown } }).softphone.session);
  const timeline = supervisor.getByRole('region', { name: 'Timeline' }).locator('.entry-supervision');
  await timeline.getByText('Supervisor Supervisor One: left the call (the call was being handed over to another agent)').waitFor();
  t.pass("Monitor's timeline says the supervisor left with the handover");
  const ari = await ariCredentials(server);
  t.notOk((await ariGet<Array<{ id: string }>>(ari, '/channels')).some((c) => c.id.startsWith('sv-')), 'no channel of the supervisor is left');
  t.same(await callChannelRoles(ari), ['agent-1', 'customer'], "the customer's leg and Agent Two's phone");
  for (const [who, page] of [['Agent One', pages.one], ['Agent Two', pages.two]] as const) {
    const history = await page.evaluate(async (id) => (await fetch(`/desktop/history/${id}`)).text(), chatId);
    t.notMatch(history, /Supervisor One/, `${who} is shown nothing of the supervisor`);
  }

  // Listen again: now to Agent Two's call.
  await supervisor.getByRole('button', { name: 'Listen' }).click();
  await controls.getByText('You: listening').waitFor({ timeout: 20_000 });
  await expectHears(t, supervisor, 'Listen after the transfer: the supervisor', { hears: [C, TWO], not: [ONE] });
  await expectHears(t, pages.customer, 'Listen after the transfer: the customer', { hears: [TWO], not: [ONE] });
});

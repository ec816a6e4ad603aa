// Transfer with a live call, with real parts measured by tones: a real Asterisk, and three Chromium
// processes each playing its own tone as its microphone (customer 440 Hz, Agent One 660 Hz, Agent Two
// 880 Hz). On Accept the customer's leg is bridged to Agent Two's phone and Agent One's is released:
// the customer and Agent Two hear each other, nobody hears Agent One any more.
import t from 'tap';
import { TONES } from '../helpers/tones.ts';
import { callChannelRoles, callWithAgentTwoAway, expectWithNewAgent, newAgentReleases, transferOnDesktops } from '../helpers/handoff-calls.ts';
import { ariCredentials } from '../helpers/voice.ts';

const { customer: C, agent: ONE, supervisor: TWO } = TONES;

t.test('Transfer during a call: the call moves to Agent Two, Agent One is released', async (t) => {
  const tones = { customer: C, one: ONE, two: TWO };
  const { server, panel, pages } = await callWithAgentTwoAway(t, tones, '+15551230031');
  const { one, two } = pages;

  await transferOnDesktops(one, two, 'Agent Two');
  const twoPanel = two.locator('section.interaction');
  await twoPanel.locator('.call-state.call-connected').waitFor({ timeout: 30_000 });
  await two.getByText('Agent Two accepted the transfer from Agent One').waitFor();

  await expectWithNewAgent(t, pages, tones, 'after the transfer');

  // In Asterisk: the customer's channel and Agent Two's, both tagged with the interaction; no channel of Agent One's.
  t.same(await callChannelRoles(await ariCredentials(server)), ['agent-1', 'customer'], "the customer's leg and Agent Two's phone, nothing else");

  // Agent Two now has the call's controls; Agent One's are off.
  await panel.locator('button.release[disabled]').waitFor();
  t.pass("Agent One's Release call is off");
  await newAgentReleases(t, pages);
});

// A recorded call handed on to another agent, with real parts measured by tones: a real Asterisk records
// the call's bridge, three Chromium processes each play their party's tone as microphone (customer
// 440 Hz, Agent One 770 Hz, Agent Two 880 Hz; not 660 Hz, which the fallback music on hold plays). The
// stored file is one recording from the answer to the release: the customer and Agent One before the
// handoff, the customer and Agent Two after it, and during a consult the customer on hold (music), never
// the agents' own talk.
import type { Page } from 'playwright-core';
import t from 'tap';
import type { Test } from 'tap';
import { agentGet } from '../helpers/desktop-client.ts';
import { login } from '../helpers/fixtures.ts';
import { callWithAgentTwoAway, expectWithNewAgent, newAgentReleases, transferOnDesktops } from '../helpers/handoff-calls.ts';
import type { TestServer } from '../helpers/server.ts';
import { hasTone, parseWav, slice, toneAmplitude, type Pcm } from '../helpers/tones.ts';
import { openPanel, pressAndSettle } from '../helpers/voice.ts';

const tones = { customer: 440, one: 770, two: 880 };
const MOH_HZ = 523.25; // the fallback music on hold's first note
// What the file must hold in a stretch of the call (seconds from the recording's start).
type Stretch = { what: string; from: number; to: number; hears: number[]; not: number[] };

// When each timeline entry whose line includes `text` was written (ms), oldest first.
async function entryTimes(page: Page, text: string): Promise<number[]> {
  return page.locator('section.interaction li.entry', { hasText: text }).evaluateAll((lis) => lis.map((li) => Date.parse(li.querySelector('time')!.getAttribute('datetime')!)));
}

// The call's recordings as Agent Two's timeline shows them once the call is released: exactly one
// player (one file for the whole call leg) and no failure; its file, read as Agent Two.
async function theRecording(t: Test, server: TestServer, two: Page): Promise<Pcm> {
  const panel = two.locator('section.interaction');
  const player = panel.getByLabel(/^Recording/);
  await player.waitFor({ timeout: 20_000 });
  t.equal(await player.count(), 1, 'one recording of the call, from its answer to its release');
  t.equal(await panel.locator('.entry-recording', { hasText: 'Recording failed' }).count(), 0, 'no "Recording failed" on the timeline');
  const file = await agentGet(await login(server, 'agent2'), (await player.getAttribute('src'))!);
  t.equal(file.status, 200, 'Agent Two may play it');
  return parseWav(Buffer.from(await file.arrayBuffer()));
}

// A party is in a stretch when its tone is in at least one whole second of it: a browser starved of CPU
// on a loaded machine sends its microphone with gaps (CI once had Agent One's tone at a tenth of its
// level over a stretch, while the customer heard it live). A party that must not be there is judged
// over the whole stretch.
const heardIn = (part: Pcm, hz: number) => {
  const seconds = Math.floor(part.samples.length / part.sampleRate);
  return Array.from({ length: seconds }, (_, i) => slice(part, i, i + 1)).some((second) => hasTone(second, hz));
};

// The stretches are placed by the timeline's times, which a loaded machine writes a moment after what
// they tell happened in Asterisk (the recording's start among them): a party that must not be there is
// judged away from the edges too.
function expectStretches(t: Test, pcm: Pcm, stretches: Stretch[]): void {
  for (const s of stretches) {
    const part = slice(pcm, s.from, s.to);
    const inner = slice(pcm, s.from + 0.5, s.to - 0.5);
    t.ok(s.to - s.from > 1, `${s.what}: ${(s.to - s.from).toFixed(1)} s of the file`);
    for (const hz of s.hears) t.ok(heardIn(part, hz), `${s.what}: ${hz} Hz is in the file`, { level: toneAmplitude(part, hz) });
    for (const hz of s.not) t.notOk(hasTone(inner, hz), `${s.what}: ${hz} Hz is not in the file`, { level: toneAmplitude(inner, hz) });
  }
}

async function consult(one: Page): Promise<void> {
  await one.getByLabel('Transfer to').selectOption({ label: 'Agent Two' });
  await one.getByRole('button', { name: 'Consult', exact: true }).click();
  await one.getByText('Talking with Agent Two: the customer is on hold.').waitFor({ timeout: 30_000 });
}

const C = tones.customer;
const ONE = tones.one;
const TWO = tones.two;

t.test('a recorded call transferred (cold), after a first offer cancelled: one file, the customer with Agent One before, with Agent Two after', async (t) => {
  const { server, panel, pages } = await callWithAgentTwoAway(t, tones, '+15551230051', { recorded: true });
  const { one, two } = pages;
  await panel.locator('.entry-recording', { hasText: 'Recording started' }).waitFor();
  await one.waitForTimeout(2000);
  // A transfer offered, then cancelled: the call (and its recording) untouched; then one accepted.
  await two.getByRole('button', { name: 'Ready', exact: true }).click();
  await one.getByLabel('Transfer to').selectOption({ label: 'Agent Two' });
  await pressAndSettle(one, one.getByRole('button', { name: 'Transfer', exact: true }), '/transfer');
  await one.getByText('Transfer offered to Agent Two').waitFor();
  await one.getByRole('button', { name: 'Cancel transfer' }).click();
  await panel.locator('.entry-handoff', { hasText: 'Transfer to Agent Two cancelled' }).waitFor();
  await two.getByRole('button', { name: 'Not Ready', exact: true }).click();
  await two.locator('.presence-not_ready').waitFor();
  await one.waitForTimeout(2000);

  await transferOnDesktops(one, two, 'Agent Two');
  await two.locator('section.interaction .call-state.call-connected').waitFor({ timeout: 30_000 });
  await two.getByText('Agent Two accepted the transfer from Agent One').waitFor();
  await expectWithNewAgent(t, pages, tones, 'after the transfer');
  await two.waitForTimeout(2000);
  await newAgentReleases(t, pages);

  const pcm = await theRecording(t, server, two);
  const [started] = await entryTimes(two, 'Recording started');
  const at = async (text: string) => ((await entryTimes(two, text))[0]! - started!) / 1000;
  const offered = Math.max(...(await entryTimes(two, 'offered a transfer to Agent Two')).map((ms) => (ms - started!) / 1000));
  const accepted = await at('Agent Two accepted the transfer');
  const end = pcm.samples.length / pcm.sampleRate;
  expectStretches(t, pcm, [
    { what: 'before the transfer (a first offer cancelled)', from: 0.5, to: offered - 0.5, hears: [C, ONE], not: [TWO] },
    { what: 'after the transfer', from: accepted + 1, to: end - 0.5, hears: [C, TWO], not: [ONE] },
  ]);
});

t.test('a recorded call with a consult: the customer on hold (music) while the agents talk, Cancel then Complete transfer, one file', async (t) => {
  const { server, panel, pages } = await callWithAgentTwoAway(t, tones, '+15551230052', { recorded: true });
  const { customer, one, two } = pages;
  await panel.locator('.entry-recording', { hasText: 'Recording started' }).waitFor();
  await two.getByRole('button', { name: 'Ready', exact: true }).click();
  await one.getByLabel('Transfer to').locator('option', { hasText: 'Agent Two' }).waitFor({ state: 'attached' });
  await one.waitForTimeout(3000);

  await consult(one);
  await panel.locator('.entry-call', { hasText: 'Consulting Agent Two: the customer is on hold' }).waitFor();
  t.pass("Agent One's timeline says whom the customer waits for, live");
  await one.waitForTimeout(4000);
  await one.getByRole('button', { name: 'Cancel transfer' }).click();
  await panel.locator('.call-state.call-connected').waitFor();
  await one.waitForTimeout(4000);

  await consult(one);
  await one.waitForTimeout(4000);
  await one.getByRole('button', { name: 'Complete transfer' }).click();
  const twoPanel = two.locator('section.interaction');
  await openPanel(two, 'Carla Customer');
  await twoPanel.getByText('Agent One completed the transfer to Agent Two').waitFor();
  await twoPanel.locator('.call-state.call-connected').waitFor();
  await expectWithNewAgent(t, { customer, one, two }, tones, 'after Complete transfer');
  await two.waitForTimeout(2000);
  await newAgentReleases(t, pages);

  // The consult's steps read as what they are on the desktop, in History and on Monitor. History as
  // Agent Two, who has the chat now (Agent One reads it there once it has ended), in its own session.
  const chatPath = (await two.getByRole('link', { name: 'Carla Customer' }).getAttribute('href'))!;
  const admin = await login(server, 'agent1');
  const historyOfTwo = await two.evaluate(async (path) => (await fetch(path)).text(), chatPath.replace('/desktop/interactions/', '/desktop/history/'));
  for (const [where, html] of [
    ["Agent Two's desktop", await twoPanel.innerHTML()],
    ["Agent Two's History", historyOfTwo],
    ['Monitor', await (await agentGet(admin, chatPath.replace('/desktop/interactions/', '/supervisor/interactions/'))).text()],
  ]) {
    t.match(html, /Calling Agent Two to consult: the customer is on hold/, `${where}: the consult's ring`);
    t.match(html, /Consulting Agent Two: the customer is on hold/, `${where}: the consult`);
    t.match(html, /Call to the customer: connected with Agent Two/, `${where}: the call with Agent Two`);
    t.notMatch(html, /Call to the customer: on hold/, `${where}: no unexplained hold`);
  }

  const pcm = await theRecording(t, server, two);
  const [started] = await entryTimes(two, 'Recording started');
  const times = async (text: string) => (await entryTimes(two, text)).map((ms) => (ms - started!) / 1000);
  const [consulted1, consulted2] = await times('Agent One consulted Agent Two');
  const [cancelled] = await times('Consult with Agent Two cancelled');
  const [completed] = await times('Agent One completed the transfer');
  const end = pcm.samples.length / pcm.sampleRate;
  const onHold = [TWO, ONE];
  expectStretches(t, pcm, [
    { what: 'before the consult', from: 0.5, to: consulted1! - 0.5, hears: [C, ONE], not: [TWO] },
    { what: 'during the first consult (the customer on hold)', from: consulted1! + 1, to: cancelled! - 0.5, hears: [C], not: onHold },
    { what: 'after Cancel transfer', from: cancelled! + 1, to: consulted2! - 0.5, hears: [C, ONE], not: [TWO] },
    { what: 'during the second consult (the customer on hold)', from: consulted2! + 1, to: completed! - 0.5, hears: [C], not: onHold },
    { what: 'after Complete transfer', from: completed! + 1, to: end - 0.5, hears: [C, TWO], not: [ONE] },
  ]);
  const held = slice(pcm, consulted1! + 1, cancelled! - 0.5);
  t.comment(`music on hold (${MOH_HZ} Hz) during the consult: ${toneAmplitude(held, MOH_HZ).toFixed(4)}; before it: ${toneAmplitude(slice(pcm, 0.5, consulted1! - 0.5), MOH_HZ).toFixed(4)}`);
});

// Call recording end to end with real parts: a real Asterisk records the call's bridge, Chromium plays a
// tone as each party's microphone (440 Hz the customer, 660 Hz the agent, one browser process each), and
// the stored file is measured: both tones while recording, silence while paused.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Page } from 'playwright-core';
import { agentGet, agentPost } from '../helpers/desktop-client.ts';
import { recordCalls } from '../helpers/recording.ts';
import { login, withBrowser, withServer, type Teardown } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { hasTone, parseWav, rms, slice, toneFile } from '../helpers/tones.ts';
import { agentDesktop, ariGet, ariCredentials, callFromChat, mediaFlows, VOICE_ENV } from '../helpers/voice.ts';

const CUSTOMER_HZ = 440;
const AGENT_HZ = 660;

async function tones(t: Teardown): Promise<{ customer: string; agent: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'mcc-tones-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return { customer: await toneFile(dir, CUSTOMER_HZ), agent: await toneFile(dir, AGENT_HZ) };
}

// The agent (agent1) in one browser process hearing with 660 Hz, the customer's phone in another with 440 Hz.
async function connectedCall(t: Teardown, server: TestServer, number: string) {
  const wav = await tones(t);
  const agentBrowser = await withBrowser(t, { args: [`--use-file-for-fake-audio-capture=${wav.agent}`] });
  const phoneBrowser = await withBrowser(t, { args: [`--use-file-for-fake-audio-capture=${wav.customer}`] });
  const agent = await (await agentBrowser.newContext()).newPage();
  const phone = await (await phoneBrowser.newContext()).newPage();
  await agentDesktop(agent, server);
  return { agent, phone, ...(await callFromChat(agent, phone, server, number)) };
}

// When each recording entry was written (ms), by its text on the timeline.
async function entryTimes(agent: Page): Promise<Record<string, number>> {
  return agent.evaluate(() =>
    Object.fromEntries(
      Array.from(document.querySelectorAll("li.entry-recording")).map((li) => [li.querySelector('.milestone')?.textContent ?? 'player', Date.parse(li.querySelector('time')!.getAttribute('datetime')!)]),
    ),
  );
}

t.test('a recorded call: the player on the timeline, both voices in the file, silence while paused, served with ranges to its agent and supervisors only', async (t) => {
  const server = await withServer(t, { env: VOICE_ENV });
  await recordCalls(server);
  const { agent, phone, chat, panel } = await connectedCall(t, server, '+15551231801');
  await panel.locator('.entry-recording', { hasText: 'Recording started' }).waitFor();
  await mediaFlows(t, phone, 'the customer');
  await agent.waitForTimeout(3000);

  await agent.getByRole('button', { name: 'Pause recording' }).click();
  await panel.locator('.entry-recording', { hasText: 'Recording paused' }).waitFor();
  await agent.waitForTimeout(4000);
  await agent.getByRole('button', { name: 'Resume recording' }).click();
  await panel.locator('.entry-recording', { hasText: 'Recording resumed' }).waitFor();
  await agent.waitForTimeout(4000);
  await mediaFlows(t, phone, 'the customer, the call untouched by pause and resume');
  await agent.getByRole('button', { name: 'Release call' }).click();

  // The player, named "Recording ..." with its duration, once the file is stored.
  const player = panel.getByLabel(/^Recording/);
  await player.waitFor({ timeout: 20_000 });
  const label = (await player.getAttribute('aria-label'))!;
  t.match(label, /^Recording of the call, \d+:\d\d$/, `the player's accessible name: ${label}`);
  const url = (await player.getAttribute('src'))!;
  const recordingId = url.split('/').pop()!;

  // The file: both tones before the pause and after it, silence in between (1 s margins for the time
  // between Asterisk acting on a click and the timeline entry being written, on a loaded machine).
  const admin = await login(server, 'agent1');
  const whole = await agentGet(admin, url);
  t.equal(whole.status, 200);
  t.equal(whole.headers.get('content-type'), 'audio/wav');
  const bytes = Buffer.from(await whole.arrayBuffer());
  const pcm = parseWav(bytes);
  const times = await entryTimes(agent);
  const started = times['Recording started']!;
  const paused = (times['Recording paused (silence in the file)']! - started) / 1000;
  const resumed = (times['Recording resumed']! - started) / 1000;
  const end = pcm.samples.length / pcm.sampleRate;
  for (const [what, from, to] of [
    ['before the pause', 1, paused - 1],
    ['after the resume', resumed + 1, end - 1],
  ] as const) {
    const part = slice(pcm, from, to);
    t.ok(hasTone(part, CUSTOMER_HZ), `the customer's ${CUSTOMER_HZ} Hz is in the file ${what}`);
    t.ok(hasTone(part, AGENT_HZ), `the agent's ${AGENT_HZ} Hz is in the file ${what}`);
  }
  const silence = rms(slice(pcm, paused + 1, resumed - 1));
  t.ok(silence < 0.003, `silence while paused (rms ${silence.toFixed(5)})`);
  t.ok(end > resumed + 1, 'the paused time is kept in the file (silence, not cut out)');

  // Seeking: a byte range is answered 206 with exactly those bytes.
  const ranged = await fetch(new URL(url, server.url), { headers: { cookie: admin.cookie, range: 'bytes=1000-1999' } });
  t.equal(ranged.status, 206);
  t.equal(ranged.headers.get('content-range'), `bytes 1000-1999/${bytes.length}`);
  t.same(Buffer.from(await ranged.arrayBuffer()), bytes.subarray(1000, 2000), 'the bytes of that range');
  const beyond = await fetch(new URL(url, server.url), { headers: { cookie: admin.cookie, range: `bytes=${bytes.length + 10}-` } });
  t.equal(beyond.status, 416, 'a range past the end is refused');

  // Another agent gets 403; the customer's token opens nothing; an unknown id is 404.
  const other = await agentGet(await login(server, 'agent2'), url);
  t.equal(other.status, 403, 'agent2, who did not handle the interaction, is refused');
  const added = await agentPost(admin, '/admin/agents', { username: 'sue', displayName: 'Sue Supervisor', role: 'supervisor', password: 'sue supervisor pass 1', serviceIds: 'roadside' });
  t.equal(added.status, 200, 'a supervisor is added');
  t.equal((await agentGet(await login(server, 'sue', 'sue supervisor pass 1'), url)).status, 200, 'a supervisor, who handled nothing, hears it');
  const customer = await fetch(new URL(url, server.url), { headers: { authorization: `Bearer ${chat.token}` }, redirect: 'manual' });
  t.not(customer.status, 200, `the customer's token is not a login (${customer.status})`);
  t.equal((await agentGet(admin, '/recordings/00000000-0000-4000-8000-000000000000')).status, 404);

  // Gone from Asterisk once stored: every node serves it from the store.
  const stored = await ariGet<Array<{ name: string }>>(await ariCredentials(server), '/recordings/stored');
  t.notOk(stored.some((r) => r.name === recordingId), 'deleted from Asterisk');

  // History shows the same player.
  await panel.getByRole('button', { name: 'Disconnect chat' }).click();
  await agent.goto(`${server.url}/desktop/history/${chat.id}`);
  t.equal(await agent.getByLabel(/^Recording/).getAttribute('src'), url, 'the player in history');
});

t.test('a recording that fails never breaks the call: the timeline says so, the call goes on', async (t) => {
  const server = await withServer(t, { env: VOICE_ENV });
  await recordCalls(server);
  // Asterisk cannot make its recordings folder: a file stands where it would be.
  const folder = join(server.dataDir, 'asterisk', 'spool', 'recording');
  await rm(folder, { recursive: true });
  await writeFile(folder, 'not a folder');
  const { agent, phone, panel } = await connectedCall(t, server, '+15551231802');
  await panel.locator('.entry-recording', { hasText: /Recording failed: Asterisk stopped it/ }).waitFor({ timeout: 20_000 });
  t.match(await panel.locator('.recording-state').textContent(), /Not recorded/, 'the call area says the call is not recorded');
  t.equal(await agent.getByRole('button', { name: 'Pause recording' }).count(), 0, 'nothing to pause');
  await mediaFlows(t, phone, 'the customer, on the unrecorded call');
  await agent.getByRole('button', { name: 'Release call' }).click();
  await panel.locator('.call-state.call-released').waitFor();
});

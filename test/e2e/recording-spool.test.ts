// A recorded call released while Asterisk is away for longer than a collect waits (30 s), end to end
// with real parts: the test owns the Asterisk (TELEPHONY=external), kills it mid-call and starts it
// again (same runtime folder, ports and ARI password) once the timeline says "not stored yet". The
// file Asterisk kept in its spool is then stored (its player appears, later on the timeline) and
// deleted from Asterisk; a file of ours that belongs to nothing known is deleted; one not ours is kept.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { connectAri, ensureSimulatedPhone, startAsterisk } from '../../src/ari/index.ts';
import { Baresip } from '../helpers/baresip.ts';
import { eventually } from '../helpers/eventually.ts';
import { recordCalls, recordingHasSound } from '../helpers/recording.ts';
import { withBrowser, withServer } from '../helpers/fixtures.ts';
import { removeDir } from '../helpers/server.ts';
import { ariGet, deskCallOfNewChat, deskPasswordOf, sipPhoneMediaFlows } from '../helpers/voice.ts';

const NUMBER = '+15551230042';

// One second of 8 kHz 16-bit silence, as Asterisk writes a WAV.
function silentWav(): Buffer {
  const data = Buffer.alloc(16_000);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16_000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

t.test('released while Asterisk is away over 30 s: "not stored yet", then stored once it is back, and its spool cleared of ours only', async (t) => {
  const runtimeDir = await mkdtemp(join(tmpdir(), 'mcc-asterisk-'));
  const spool = join(runtimeDir, 'spool', 'recording');
  const ariPassword = randomBytes(24).toString('base64url');
  const asterisk = { instance: await startAsterisk({ runtimeDir, httpPort: 0, sipPort: 0, ariPassword }) };
  t.teardown(async () => {
    await asterisk.instance.stop();
    await removeDir(runtimeDir);
  });
  const { httpPort, sipUdpPort: sipPort, ariUrl, ariUser } = asterisk.instance;
  const ari = { url: `${ariUrl}/ari`, auth: 'Basic ' + Buffer.from(`${ariUser}:${ariPassword}`).toString('base64') };
  const server = await withServer(t, { env: { TELEPHONY: 'external', ARI_URL: ariUrl, ARI_USER: ariUser, ARI_PASSWORD: ariPassword, OFFER_TIMEOUT_S: '120' } });
  const browser = await withBrowser(t);
  await recordCalls(server);
  const customerLogin = await ensureSimulatedPhone(await connectAri(ariUrl, ariUser, ariPassword), NUMBER, 'sip');
  const customer = await Baresip.start({ accounts: [{ user: customerLogin.username, password: customerLogin.password, sipPort, autoAnswer: true }] });
  const desk = await Baresip.start({ accounts: [{ user: 'agent1-desk', password: await deskPasswordOf(server, 'agent1'), sipPort, autoAnswer: true }] });
  t.teardown(async () => {
    await customer.stop();
    await desk.stop();
  });
  await customer.waitRegistered(customerLogin.username);
  await desk.waitRegistered('agent1-desk');

  const agent = await (await browser.newContext()).newPage();
  const { chat, panel } = await deskCallOfNewChat(agent, server, NUMBER);
  await panel.locator('.entry-recording', { hasText: 'Recording started' }).waitFor();
  await sipPhoneMediaFlows(t, customer, 'the customer on the recorded call');
  const ours = (await readdir(spool)).filter((f) => f.startsWith(`cc-rec-${chat.id}_`));
  t.equal(ours.length, 1, "Asterisk writes the call's recording under a name of ours that carries the interaction");

  await recordingHasSound(runtimeDir, chat.id);
  process.kill(asterisk.instance.pid, 'SIGKILL');
  await asterisk.instance.stop();
  await panel.getByRole('button', { name: 'Release call' }).click();
  await panel.locator('.call-state.call-released').waitFor({ timeout: 20_000 });
  await panel.locator('.entry-recording', { hasText: /Recording not stored yet \(Asterisk is not reachable/ }).waitFor({ timeout: 60_000 });
  t.equal(await panel.locator('.entry-recording', { hasText: 'Recording failed' }).count(), 0, 'the timeline says "not stored yet", never "failed"');
  t.same((await readdir(spool)).filter((f) => f.startsWith('cc-rec-')), ours, 'the file stays in the spool meanwhile');

  // Left in the spool by a controller that crashed (ours, of no recording known) and by another program.
  const stray = `cc-rec-${randomUUID()}_${randomUUID()}`;
  await writeFile(join(spool, `${stray}.wav`), silentWav());
  await writeFile(join(spool, 'greeting-main.wav'), silentWav());

  asterisk.instance = await startAsterisk({ runtimeDir, httpPort, sipPort, ariPassword });
  const player = panel.getByLabel(/^Recording of the call/);
  await player.waitFor({ timeout: 60_000 });
  t.pass('once Asterisk is back, the player is on the timeline');
  const texts = await panel.locator('.entry-recording').allTextContents();
  t.ok(texts.findIndex((s) => /not stored yet/.test(s)) < texts.length - 1, 'on a later entry than "not stored yet"');
  const file = await agent.request.get(new URL((await player.getAttribute('src'))!, server.url).href);
  t.equal(file.status(), 200, 'the agent gets the file');
  t.ok((await file.body()).length > 44, 'with sound in it (what Asterisk wrote before it died)');
  const left = await eventually('the spool cleared of ours', async () => {
    const names = (await ariGet<Array<{ name: string }>>(ari, '/recordings/stored')).map((r) => r.name);
    return names.some((n) => n.startsWith('cc-rec-')) ? undefined : names;
  }, 20_000);
  t.same(left, ['greeting-main'], "the call's file and the stray of ours were deleted from Asterisk; the file not ours is kept");
});

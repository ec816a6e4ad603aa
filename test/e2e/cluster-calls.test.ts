// A call across the nodes of a cluster, and the leader killed mid-call, with real parts: the test owns
// one Asterisk (the nodes run TELEPHONY=external against it), the customer's phone and the agent's desk
// phone are SIP user agents (baresip), the agent's desktop is on the follower in Chromium. The leader
// holds ARI; when it dies, the follower leads, adopts the call still up in Asterisk, and Release call
// from the same page hangs it up.
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { connectAri, ensureSimulatedPhone, startAsterisk } from '../../src/ari/index.ts';
import { Baresip } from '../helpers/baresip.ts';
import { untilRole, withCluster } from '../helpers/cluster.ts';
import { eventually } from '../helpers/eventually.ts';
import { withBrowser } from '../helpers/fixtures.ts';
import { logEntries, removeDir } from '../helpers/server.ts';
import { agentDesktop, ariGet, deskPasswordOf, sipPhoneMediaFlows, startChat } from '../helpers/voice.ts';

const NUMBER = '+15551230077';

t.test('a call placed through the follower survives the leader: adopted, then released', async (t) => {
  const runtimeDir = await mkdtemp(join(tmpdir(), 'mcc-asterisk-'));
  const ariPassword = randomBytes(24).toString('base64url');
  const asterisk = await startAsterisk({ runtimeDir, httpPort: 0, sipPort: 0, ariPassword });
  t.teardown(async () => {
    await asterisk.stop();
    await removeDir(runtimeDir);
  });
  const { sipUdpPort: sipPort, ariUrl, ariUser } = asterisk;
  const ari = { url: `${ariUrl}/ari`, auth: 'Basic ' + Buffer.from(`${ariUser}:${ariPassword}`).toString('base64') };
  const env = { TELEPHONY: 'external', ARI_URL: ariUrl, ARI_USER: ariUser, ARI_PASSWORD: ariPassword, OFFER_TIMEOUT_S: '120' };

  const cluster = await withCluster(t);
  const a = await cluster.startNode('node-a', env);
  await untilRole(a, 'leader');
  await eventually('node A on ARI', async () => ((await (await fetch(`${a.url}/healthz`)).json()) as { ari: { state: string } }).ari.state === 'up' || undefined, 20_000);
  const b = await cluster.startNode('node-b', env);
  await untilRole(b, 'follower');

  const phones: Baresip[] = [];
  t.teardown(async () => {
    for (const p of phones) await p.stop();
  });
  const pstn = await connectAri(ariUrl, ariUser, ariPassword);
  const customerLogin = await ensureSimulatedPhone(pstn, NUMBER, 'sip');
  const customer = await Baresip.start({ accounts: [{ user: customerLogin.username, password: customerLogin.password, sipPort, autoAnswer: true }] });
  phones.push(customer);
  // The desk phone's password is made on the follower: the command reaches Asterisk through the leader.
  const desk = await Baresip.start({ accounts: [{ user: 'agent1-desk', password: await deskPasswordOf(b, 'agent1'), sipPort, autoAnswer: true }] });
  phones.push(desk);
  await customer.waitRegistered(customerLogin.username);
  await desk.waitRegistered('agent1-desk');

  const browser = await withBrowser(t);
  const agent = await (await browser.newContext()).newPage();
  await agentDesktop(agent, b, { phone: 'desk' });
  const chat = await startChat(a, 'roadside', NUMBER);
  await agent.getByRole('button', { name: 'Accept' }).click();
  const panel = agent.locator('section.interaction');
  await agent.getByRole('button', { name: NUMBER }).click();
  await panel.locator('.call-state.call-connected').waitFor({ timeout: 20_000 });
  await sipPhoneMediaFlows(t, customer, 'the customer, called through the follower');

  const killedAt = Date.now();
  process.kill(a.pid, 'SIGKILL');
  await untilRole(b, 'leader', 30_000);
  await eventually('node B on ARI', async () => ((await (await fetch(`${b.url}/healthz`)).json()) as { ari: { state: string } }).ari.state === 'up' || undefined, 10_000);
  const takeoverMs = Date.now() - killedAt;
  t.comment(`failover mid-call: node-b leads and holds ARI ${takeoverMs} ms after kill -9 of node-a`);
  t.pass('the new leader holds ARI (how fast is bench:failover\'s to print, not a test\'s to assert)');
  t.match(logEntries(b, 'calls reconciled with Asterisk')[0], { adopted: 1, ended: 0 }, 'the new leader adopted the live call');
  await sipPhoneMediaFlows(t, customer, 'the customer after the failover');

  // The same page, not reloaded, on the node that now leads: the call is still connected, and
  // Release call works; a page opened afresh shows it released too.
  await panel.locator('.call-state.call-connected').waitFor();
  const marks = { desk: desk.events.length, customer: customer.events.length };
  await agent.getByRole('button', { name: 'Release call' }).click();
  await panel.locator('.call-state.call-released').waitFor();
  const fresh = await (await browser.newContext()).newPage();
  await agentDesktop(fresh, b, { phone: 'desk' });
  await fresh.goto(`${b.url}/desktop/interactions/${chat.id}`);
  await fresh.locator('section.interaction .call-state.call-released').waitFor();
  await desk.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, marks.desk);
  await customer.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, marks.customer);
  t.pass('Release call hung up both phones');
  t.same(await ariGet<unknown[]>(ari, '/channels'), [], 'no channel is left in Asterisk');
});

// A call across the nodes of a cluster, and the leader killed mid-call, with real parts: the test owns
// one Asterisk (the nodes run TELEPHONY=external against it), the customer's phone and the agent's desk
// phone are SIP user agents (baresip), the agent's desktop is on the follower in Chromium. The leader
// holds ARI; when it dies, the follower leads and adopts the call still up in Asterisk. From the same
// page the agent holds it (its phone leaves the bridge, music on hold plays to the customer) and takes it back, releases
// it (both phones hang up), and a new call from that page connects with audio both ways. That call is
// recorded (its service records calls from then on): a node that joins afterwards serves the recording
// (PostgreSQL holds the file). A third call is recorded when its leader dies: the new one finishes it.
import t from 'tap';
import { connectAri, ensureSimulatedPhone } from '../../src/ari/index.ts';
import { withAsterisk } from '../helpers/asterisk.ts';
import { Baresip } from '../helpers/baresip.ts';
import { leaderOnAriAndFollower, untilRole, withCluster } from '../helpers/cluster.ts';
import { eventually } from '../helpers/eventually.ts';
import { agentGet } from '../helpers/desktop-client.ts';
import { login, withBrowser } from '../helpers/fixtures.ts';
import { recordCalls } from '../helpers/recording.ts';
import { firstLogEntry } from '../helpers/server.ts';
import { agentDesktop, ariGet, deskCallOfNewChat, deskPasswordOf, sipPhoneMediaFlows } from '../helpers/voice.ts';

const NUMBER = '+15551230077';

t.test('a call placed through the follower survives the leader: adopted, held and taken back, released, then a new call', async (t) => {
  const owned = await withAsterisk(t);
  const { ari, ariPassword } = owned;
  const { sipUdpPort: sipPort, ariUrl, ariUser } = owned.asterisk;
  // The channels in the bridges the controller made for calls (one call at a time here).
  const bridgedChannels = async () => (await ariGet<{ name: string; channels: string[] }[]>(ari, '/bridges')).filter((b) => b.name.startsWith('cc-leg-')).flatMap((b) => b.channels);
  const env = { ...owned.env, OFFER_TIMEOUT_S: '120' };

  const cluster = await withCluster(t);
  const { a, b } = await leaderOnAriAndFollower(cluster, env);

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
  const { chat, panel } = await deskCallOfNewChat(agent, b, NUMBER, a);
  await sipPhoneMediaFlows(t, customer, 'the customer, called through the follower');

  const killedAt = Date.now();
  process.kill(a.pid, 'SIGKILL');
  await untilRole(b, 'leader', 30_000);
  await eventually('node B on ARI', async () => ((await (await fetch(`${b.url}/healthz`)).json()) as { ari: { state: string } }).ari.state === 'up' || undefined, 10_000);
  const takeoverMs = Date.now() - killedAt;
  t.comment(`failover mid-call: node-b leads and holds ARI ${takeoverMs} ms after kill -9 of node-a`);
  t.pass('the new leader holds ARI (how fast is bench:failover\'s to print, not a test\'s to assert)');
  t.match(await firstLogEntry(b, 'calls reconciled with Asterisk'), { adopted: 1, ended: 0 }, 'the new leader adopted the live call');
  await sipPhoneMediaFlows(t, customer, 'the customer after the failover');

  // The same page, not reloaded, on the node that now leads: the call is still connected, and
  // Hold works on the adopted call: the agent's channel leaves the bridge, the customer's stays and hears
  // music on hold there (so a recording of the bridge goes on); pressed again, the agent is back in the
  // bridge and audio flows both ways.
  await panel.locator('.call-state.call-connected').waitFor();
  const hold = agent.getByRole('button', { name: 'Hold' });
  await hold.click();
  await panel.locator('.call-state.call-on_hold').waitFor({ timeout: 20_000 });
  t.equal(await hold.getAttribute('aria-pressed'), 'true', 'Hold shows pressed');
  const bridged = await eventually("the agent's phone out of the bridge", async () => {
    const channels = await bridgedChannels();
    return channels.length === 1 ? channels : undefined;
  }, 10_000);
  t.match(bridged, [/-customer$/], "on hold only the customer's channel stays in the call's bridge");
  const customerChannel = (await ariGet<{ id: string; state: string }[]>(ari, '/channels')).find((c) => c.id.endsWith('-customer'));
  t.equal(customerChannel?.state, 'Up', "the customer's channel is still up");
  const heldBefore = { customer: await customer.rtp(), desk: await desk.rtp() };
  await new Promise((r) => setTimeout(r, 2000));
  const heldAfter = { customer: await customer.rtp(), desk: await desk.rtp() };
  const heldCustomer = heldAfter.customer!.received - heldBefore.customer!.received;
  const heldDesk = heldAfter.desk!.received - heldBefore.desk!.received;
  t.ok(heldCustomer > 50, `on hold the customer's phone hears music on hold (${heldCustomer} RTP packets in 2 s)`);
  t.ok(heldDesk < 10, `on hold the agent's desk phone hears nothing (${heldDesk} RTP packets in 2 s)`);
  await hold.click();
  await panel.locator('.call-state.call-connected').waitFor({ timeout: 20_000 });
  t.equal(await hold.getAttribute('aria-pressed'), 'false', 'Hold shows released');
  const rejoined = await eventually("the agent's phone back in the bridge", async () => {
    const channels = await bridgedChannels();
    return channels.length === 2 ? channels : undefined;
  }, 10_000);
  t.equal(rejoined.filter((id) => /-agent(-\d+)?$/.test(id)).length, 1, "taken back, the agent's channel is in the bridge again");
  await sipPhoneMediaFlows(t, customer, 'the customer after hold');
  await sipPhoneMediaFlows(t, desk, "the agent's desk phone after hold");

  // Release call works; a page opened afresh shows it released too.
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

  // A new call from the same page, through the node that now leads: both phones ring and answer, audio both ways.
  await recordCalls(b);
  await agent.getByRole('button', { name: NUMBER }).click();
  await panel.locator('.call-state.call-connected').waitFor({ timeout: 30_000 });
  await sipPhoneMediaFlows(t, customer, 'the customer on the new call');
  await sipPhoneMediaFlows(t, desk, "the agent's desk phone on the new call");
  t.equal((await bridgedChannels()).length, 2, 'both channels of the new call are bridged');
  const again = { desk: desk.events.length, customer: customer.events.length };
  await agent.getByRole('button', { name: 'Release call' }).click();
  await panel.locator('.call-state.call-released').waitFor({ timeout: 20_000 });
  await desk.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, again.desk);
  await customer.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, again.customer);
  t.pass('the new call is released too');
  t.ok((await panel.locator('.entry-call', { hasText: /connected/ }).count()) >= 2, 'both calls are on the timeline');

  const player = panel.getByLabel(/^Recording/);
  await player.waitFor({ timeout: 20_000 });
  const c = await cluster.startNode('node-c', env);
  await untilRole(c, 'follower');
  const recording = (await player.getAttribute('src'))!;
  const [onB, onC] = await Promise.all([b, c].map(async (node) => Buffer.from(await (await agentGet(await login(node, 'agent1'), recording)).arrayBuffer())));
  t.ok(onB!.length > 44 && onB!.equals(onC!), `node-c, which joined after the call, serves the same recording (${onB!.length} bytes)`);

  // A third call, recorded, and its leader (node-b) killed mid-call: node-c leads, adopts the call with
  // its recording, and stores the recording at the release.
  await agent.getByRole('button', { name: NUMBER }).click();
  await panel.locator('.entry-recording', { hasText: 'Recording started' }).nth(1).waitFor({ timeout: 30_000 });
  process.kill(b.pid, 'SIGKILL');
  await untilRole(c, 'leader', 30_000);
  await eventually('node C on ARI', async () => ((await (await fetch(`${c.url}/healthz`)).json()) as { ari: { state: string } }).ari.state === 'up' || undefined, 10_000);
  t.match(await firstLogEntry(c, 'calls reconciled with Asterisk'), { adopted: 1, ended: 0 }, 'node-c adopted the recorded call');
  const onNodeC = await (await browser.newContext()).newPage();
  await agentDesktop(onNodeC, c, { phone: 'desk' });
  await onNodeC.goto(`${c.url}/desktop/interactions/${chat.id}`);
  await onNodeC.locator('.call-state.call-connected').waitFor();
  await onNodeC.getByRole('button', { name: 'Release call' }).click();
  const third = onNodeC.getByLabel(/^Recording/).nth(1);
  await third.waitFor({ timeout: 20_000 });
  const stored = await agentGet(await login(c, 'agent1'), (await third.getAttribute('src'))!);
  t.equal(stored.status, 200, 'the recording begun under node-b was stored by node-c, and is served');
});

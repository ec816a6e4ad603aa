// Restarts in the middle of a call, end to end with real parts. The test owns the Asterisk (the server
// runs with TELEPHONY=external against it), so it can kill and start it again with the same runtime
// folder, ports and ARI password, and so calls survive a restart of the server itself. The agent works
// with a SIP desk phone and the customer's phone is a SIP user agent (both baresip, over UDP). The
// service records its calls: a recording survives a restart of the controller, and what Asterisk wrote
// of one before it died is kept, and one across a consult the restart ended (the music stopped).
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { connectAri, ensureSimulatedPhone, startAsterisk, type AsteriskInstance } from '../../src/ari/index.ts';
import { Baresip } from '../helpers/baresip.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { login } from '../helpers/fixtures.ts';
import { setPresence } from '../helpers/desktop-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { firstLogEntry, logEntries, printLogIfFailed, removeDir, startServer, type TestServer } from '../helpers/server.ts';
import { recordCalls, recordingHasSound } from '../helpers/recording.ts';
import { agentDesktop, ariGet, deskCallOfNewChat, deskPasswordOf, openPanel, sipPhoneMediaFlows } from '../helpers/voice.ts';

const NUMBER = '+15551230041';

t.test('restarts mid-call: Asterisk, then the controller', async (t) => {
  const runtimeDir = await mkdtemp(join(tmpdir(), 'mcc-asterisk-'));
  const ariPassword = randomBytes(24).toString('base64url');
  const started: { asterisk: AsteriskInstance; server?: TestServer; dataDir?: string } = {
    asterisk: await startAsterisk({ runtimeDir, httpPort: 0, sipPort: 0, ariPassword }),
  };
  const phones: Baresip[] = [];
  const browser = await launchBrowser();
  t.teardown(async () => {
    for (const p of phones) await p.stop();
    await browser.close();
    if (started.server) printLogIfFailed(t, started.server);
    await started.server?.stop();
    await started.asterisk.stop();
    if (started.dataDir) await removeDir(started.dataDir);
    await removeDir(runtimeDir);
  });
  const { httpPort, sipUdpPort: sipPort, ariUrl, ariUser } = started.asterisk;
  const ari = { url: `${ariUrl}/ari`, auth: 'Basic ' + Buffer.from(`${ariUser}:${ariPassword}`).toString('base64') };
  const env = { TELEPHONY: 'external', ARI_URL: ariUrl, ARI_USER: ariUser, ARI_PASSWORD: ariPassword, OFFER_TIMEOUT_S: '120' };
  let server = (started.server = await startServer({ env }));
  started.dataDir = server.dataDir;
  await recordCalls(server);

  // The simulated PSTN belongs to the test here: it gives the customer's number a SIP endpoint.
  const pstn = await connectAri(ariUrl, ariUser, ariPassword);
  const customerLogin = await ensureSimulatedPhone(pstn, NUMBER, 'sip');
  const customer = await Baresip.start({ accounts: [{ user: customerLogin.username, password: customerLogin.password, sipPort, autoAnswer: true }] });
  phones.push(customer);
  const desk = await Baresip.start({ accounts: [{ user: 'agent1-desk', password: await deskPasswordOf(server, 'agent1'), sipPort, autoAnswer: true }] });
  phones.push(desk);
  await customer.waitRegistered(customerLogin.username);
  await desk.waitRegistered('agent1-desk');

  const agent = await (await browser.newContext()).newPage();
  const { chat, panel } = await deskCallOfNewChat(agent, server, NUMBER);
  await sipPhoneMediaFlows(t, customer, 'the customer before the restarts');

  // For the later steps: the live call's bridge in Asterisk, the roles of the phones in it, and Agent One
  // (desk phone) on a connected call with the customer of a new chat.
  const ariSend = (method: string, path: string) => fetch(`${ari.url}${path}`, { method, headers: { authorization: ari.auth } });
  const legBridge = async () => (await ariGet<Array<{ id: string; name: string; channels: string[] }>>(ari, '/bridges')).find((b) => b.name.startsWith('cc-leg-'))!;
  const bridgeRoles = async () => (await legBridge()).channels.map((id) => id.replace(/^cc-[0-9a-f-]{36}-/, '')).sort();
  const callByAgentOne = async () => {
    const first = await (await browser.newContext()).newPage();
    const { chat: next } = await deskCallOfNewChat(first, server, NUMBER);
    return { first, next };
  };

  await t.test('Asterisk restarts mid-call: the call is released, nothing stays up, the agent calls again', async (t) => {
    const [customerSince, deskSince] = [customer.events.length, desk.events.length];
    await recordingHasSound(runtimeDir, chat.id);
    const old = started.asterisk;
    process.kill(old.pid, 'SIGKILL');
    await old.stop();
    started.asterisk = await startAsterisk({ runtimeDir, httpPort, sipPort, ariPassword });

    await panel.locator('.call-state.call-released').waitFor({ timeout: 30_000 });
    t.match(await panel.locator('.call-state').textContent(), /Released.*out of touch with Asterisk/is, 'the desktop shows the call released, and why');
    await eventually('ARI up again', async () => {
      const health = (await (await fetch(`${server.url}/healthz`)).json()) as { ari: { state: string } };
      return health.ari.state === 'up' ? true : undefined;
    }, 20_000);
    t.pass('the controller reconnected to ARI');
    t.same(await ariGet<unknown[]>(ari, '/channels'), [], 'no channel is up in Asterisk');
    t.same((await ariGet<Array<{ name: string }>>(ari, '/bridges')).filter((b) => b.name.startsWith('cc-')), [], 'no bridge of ours is left');
    t.equal((await ariGet<{ resource: string }>(ari, '/endpoints/PJSIP/agent1-desk')).resource, 'agent1-desk', "the agents' endpoints were pushed again");
    t.ok(await agent.getByRole('button', { name: 'Disconnect chat' }).isEnabled(), 'the chat is free to go on or be disconnected');
    await panel.getByLabel(/^Recording/).waitFor({ timeout: 30_000 });
    t.pass('what was recorded until Asterisk died was collected from it once it was back: its player is on the timeline');

    // The phones noticed nothing (Asterisk died without a BYE): hang up there, as a person would.
    await desk.hangupAll();
    await customer.hangupAll();
    // Until the old call is gone from the phones, their media counters would still be its counters.
    await customer.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, customerSince);
    await desk.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, deskSince);
    await ensureSimulatedPhone(pstn, NUMBER, 'sip', customerLogin.password); // the test's simulated PSTN, pushed again
    await eventually('desk phone reachable', async () => ((await ariGet<{ state: string }>(ari, '/endpoints/PJSIP/agent1-desk')).state === 'online' ? true : undefined), 20_000);
    await eventually('customer phone reachable', async () => ((await ariGet<{ state: string }>(ari, `/endpoints/PJSIP/${customerLogin.username}`)).state === 'online' ? true : undefined), 20_000);

    await agent.getByRole('button', { name: NUMBER }).click();
    await panel.locator('.call-state.call-connected').waitFor({ timeout: 20_000 });
    await sipPhoneMediaFlows(t, customer, 'the customer on the call after the restart');
    await sipPhoneMediaFlows(t, desk, 'the desk phone on the call after the restart');
  });

  await t.test('the controller restarts mid-call: the call lives on, is recovered, and Release call works', async (t) => {
    await server.stop(); // SIGTERM: the server stops its telephony; Asterisk (external) keeps the call
    await sipPhoneMediaFlows(t, customer, 'the customer while no controller runs');
    server = started.server = await startServer({ env, dataDir: started.dataDir });
    const reconciled = logEntries(server, 'calls reconciled with Asterisk');
    t.match(reconciled[0], { adopted: 1, ended: 0 }, 'the new controller adopted the live call');

    const page = await (await browser.newContext()).newPage();
    await agentDesktop(page, server, { phone: 'desk' });
    await page.goto(`${server.url}/desktop/interactions/${chat.id}`);
    const recovered = page.locator('section.interaction');
    await recovered.locator('.call-state.call-connected').waitFor();
    t.pass('the desktop shows the call connected');

    const marks = { desk: desk.events.length, customer: customer.events.length };
    await page.getByRole('button', { name: 'Release call' }).click();
    await recovered.locator('.call-state.call-released').waitFor();
    await desk.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, marks.desk);
    await customer.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, marks.customer);
    t.pass('Release call hung up the desk phone and the customer');
    await recovered.getByLabel(/^Recording/).nth(1).waitFor({ timeout: 20_000 });
    t.pass('the recording begun before the restart was finished and stored by the new controller: its player is on the timeline');
    t.same(await ariGet<unknown[]>(ari, '/channels'), [], 'no channel is left in Asterisk');
    t.same((await ariGet<Array<{ name: string }>>(ari, '/bridges')).filter((b) => b.name.startsWith('cc-')), [], 'no bridge of ours is left');
  });

  await t.test('a call that ends while the controller is down is reported released when it is back', async (t) => {
    let page = await (await browser.newContext()).newPage();
    await agentDesktop(page, server, { phone: 'desk' });
    await page.goto(`${server.url}/desktop/interactions/${chat.id}`);
    await page.getByRole('button', { name: NUMBER }).click();
    await page.locator('.call-state.call-connected').waitFor({ timeout: 20_000 });
    await server.stop();
    const marks = { desk: desk.events.length, customer: customer.events.length };
    await customer.hangupAll();
    await customer.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, marks.customer);
    t.pass('the customer hung up while no controller ran; the desk phone is left alone in the bridge');

    server = started.server = await startServer({ env, dataDir: started.dataDir });
    t.match(await firstLogEntry(server, 'calls reconciled with Asterisk'), { adopted: 0, ended: 1 }, 'the new controller found the call half gone');
    await desk.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, marks.desk);
    t.pass('and hung up the desk phone: half a call is no call');
    t.match((await (await fetch(`${server.url}/healthz`)).json()) as object, { ari: { state: 'up' } }, 'and is connected to ARI');
    page = await (await browser.newContext()).newPage();
    await agentDesktop(page, server, { phone: 'desk' });
    await page.goto(`${server.url}/desktop/interactions/${chat.id}`);
    await page.locator('.call-state.call-released', { hasText: 'out of touch' }).waitFor();
    t.pass('the desktop shows the call released, and why');
    await page.getByLabel(/^Recording/).nth(2).waitFor({ timeout: 20_000 });
    t.pass("the recording of the call that ended while no controller ran was collected when it came back");
    t.same(await ariGet<unknown[]>(ari, '/recordings/stored'), [], 'nothing is left in Asterisk: every stored recording was moved to the store');
    t.same((await ariGet<Array<{ name: string }>>(ari, '/bridges')).filter((b) => b.name.startsWith('cc-')), [], 'its bridge was removed');
    await page.getByRole('button', { name: 'Disconnect chat' }).click();
    await page.locator('.state-ended').waitFor();
    t.pass('the chat can be disconnected');

    // The endpoints were pushed again while the desk phone was registered: that left no stale contact.
    await desk.stop(); // unregisters
    await eventually('desk phone offline', async () => ((await ariGet<{ state: string }>(ari, '/endpoints/PJSIP/agent1-desk')).state === 'offline' ? true : undefined), 5000);
    t.pass('the desk phone, once unregistered, is offline');
  });

  await t.test('a transferred call lives on across a controller restart: adopted on its new agent, released by it', async (t) => {
    const deskOf = async (agentId: string) => {
      const phone = await Baresip.start({ accounts: [{ user: `${agentId}-desk`, password: await deskPasswordOf(server, agentId), sipPort, autoAnswer: true }] });
      phones.push(phone);
      await phone.waitRegistered(`${agentId}-desk`);
      return phone;
    };
    const [one, two] = [await deskOf('agent1'), await deskOf('agent2')];
    const { first, next } = await callByAgentOne();
    await first.getByRole('button', { name: 'Not Ready', exact: true }).click();

    const second = await (await browser.newContext()).newPage();
    await agentDesktop(second, server, { phone: 'desk', agent: 'agent2' });
    const link = (page: typeof first) => page.locator(`#interaction-list a[href="/desktop/interactions/${next.id}"]`);
    await openPanel(first, link(first));
    await first.getByLabel('Transfer to').selectOption({ label: 'Agent Two' });
    await first.getByRole('button', { name: 'Transfer', exact: true }).click();
    const marks = { one: one.events.length };
    await openPanel(second, link(second));
    await second.locator('section.interaction').getByRole('button', { name: 'Accept' }).click();
    await second.locator('.call-state.call-connected').waitFor({ timeout: 20_000 });
    await one.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, marks.one);
    t.pass("Agent One's desk phone was released");
    // Its media starts once the customer is taken off music on hold and into the bridge.
    await eventually("Agent Two's desk phone has media", async () => (await two.rtp()) ?? undefined, 5000);
    await sipPhoneMediaFlows(t, two, "Agent Two's desk phone");

    await server.stop();
    server = started.server = await startServer({ env, dataDir: started.dataDir });
    t.match(await firstLogEntry(server, 'calls reconciled with Asterisk'), { adopted: 1, ended: 0 }, 'the new controller adopted the moved call');
    await sipPhoneMediaFlows(t, customer, 'the customer after the restart');
    const page = await (await browser.newContext()).newPage();
    await agentDesktop(page, server, { phone: 'desk', agent: 'agent2' });
    await page.goto(`${server.url}/desktop/interactions/${next.id}`);
    const marksTwo = { two: two.events.length, customer: customer.events.length };
    await page.getByRole('button', { name: 'Release call' }).click();
    await page.locator('.call-state.call-released').waitFor();
    await two.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, marksTwo.two);
    await customer.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, marksTwo.customer);
    t.pass("Release call by Agent Two hung up its desk phone and the customer's");
    t.same(await ariGet<unknown[]>(ari, '/channels'), [], 'no channel is left in Asterisk');
  });

  await t.test('a consult cut by a controller restart: the customer back with Agent One, the music stopped, one recording', async (t) => {
    // Agent Two, away while the chat is offered, Ready once the call is up, is consulted (its desk answers).
    const agentTwo = await login(server, 'agent2');
    await setPresence(agentTwo, 'not_ready');
    const { first, next } = await callByAgentOne();
    await first.locator('.entry-recording', { hasText: 'Recording started' }).waitFor();
    await setPresence(agentTwo, 'ready');
    await first.getByLabel('Transfer to').locator('option', { hasText: 'Agent Two' }).waitFor({ state: 'attached' });
    await first.getByLabel('Transfer to').selectOption({ label: 'Agent Two' });
    await first.getByRole('button', { name: 'Consult', exact: true }).click();
    await first.getByText('Talking with Agent Two: the customer is on hold.').waitFor({ timeout: 30_000 });
    await sipPhoneMediaFlows(t, customer, 'the customer on hold (music)');

    await server.stop();
    server = started.server = await startServer({ env, dataDir: started.dataDir });
    t.match(await firstLogEntry(server, 'calls reconciled with Asterisk'), { adopted: 1, ended: 0 }, 'the new controller adopted the call');
    const roles = await eventually('Agent One back in the call', async () => ((await bridgeRoles()).length === 2 ? bridgeRoles() : undefined), 10_000);
    t.same(roles, ['agent', 'customer'], "Agent One's phone and the customer's in the call's bridge");
    t.equal((await ariGet<Array<{ name: string }>>(ari, '/bridges')).filter((b) => b.name.startsWith('cc-')).length, 1, "the consult's bridge is gone");
    const music = await ariSend('DELETE', `/bridges/${(await legBridge()).id}/moh`);
    t.equal(music.status, 409, 'the bridge plays no music on hold any more (Asterisk: "Bridge isn\'t playing music")');
    await sipPhoneMediaFlows(t, customer, 'the customer after the restart');

    const page = await (await browser.newContext()).newPage();
    await agentDesktop(page, server, { phone: 'desk' });
    await page.goto(`${server.url}/desktop/interactions/${next.id}`);
    const panel = page.locator('section.interaction');
    await panel.getByText('Consult with Agent Two cancelled (the server restarted)').waitFor();
    await page.getByRole('button', { name: 'Release call' }).click();
    await panel.getByLabel(/^Recording/).waitFor({ timeout: 20_000 });
    t.equal(await panel.getByLabel(/^Recording/).count(), 1, 'one recording of the call, across the consult and the restart');
    t.equal(await panel.locator('.entry-recording', { hasText: 'Recording failed' }).count(), 0, 'never "Recording failed"');
  });

  await t.test('a call held the way earlier releases held (the customer out of the bridge) is held the new way once adopted, and taken back', async (t) => {
    await setPresence(await login(server, 'agent2'), 'not_ready');
    const { first, next } = await callByAgentOne();
    await first.getByRole('button', { name: 'Hold' }).click();
    await first.locator('.call-state.call-on_hold').waitFor();
    // What an earlier controller left in Asterisk: the agent in the bridge, the customer on its own music.
    const bridge = await legBridge();
    const customerId = bridge.channels[0]!;
    await ariSend('DELETE', `/bridges/${bridge.id}/moh`);
    await ariSend('POST', `/bridges/${bridge.id}/removeChannel?channel=${customerId}`);
    await ariSend('POST', `/channels/${customerId}/moh`);
    await ariSend('POST', `/bridges/${bridge.id}/addChannel?channel=${customerId.replace(/-customer$/, '-agent')}`);
    t.same(await bridgeRoles(), ['agent'], 'held the old way: only the agent in the bridge');

    await server.stop();
    server = started.server = await startServer({ env, dataDir: started.dataDir });
    t.match(await firstLogEntry(server, 'calls reconciled with Asterisk'), { adopted: 1, ended: 0 }, 'the new controller adopted the held call');
    t.same(await bridgeRoles(), ['customer'], 'held the new way: only the customer in the bridge');
    await sipPhoneMediaFlows(t, customer, 'the customer on hold (music)');
    const page = await (await browser.newContext()).newPage();
    await agentDesktop(page, server, { phone: 'desk' });
    await page.goto(`${server.url}/desktop/interactions/${next.id}`);
    await page.getByRole('button', { name: 'Hold' }).click();
    await page.locator('.call-state.call-connected').waitFor({ timeout: 20_000 });
    t.same(await eventually('both back in the bridge', async () => ((await bridgeRoles()).length === 2 ? bridgeRoles() : undefined), 10_000), ['agent', 'customer'], 'taken back: both in the bridge');
    await sipPhoneMediaFlows(t, customer, 'the customer taken back');
    await page.getByRole('button', { name: 'Release call' }).click();
    await page.locator('.call-state.call-released').waitFor();
  });
});

// The races of a handoff with a live call, with real parts: a real Asterisk (owned by the test, so it
// outlives the server) and baresip phones for the customer and both agents' desk phones. Agent Two's
// desk phone does not answer by itself: it rejects a consult (the customer is back with Agent One),
// and rings for a cold transfer until the customer hangs up (the ring ends at once, the chat stays). A
// controller restart during a consult brings the customer back to Agent One, bridged again. A customer
// who hangs up during a consult leaves the chat with Agent One and nothing of the calls in Asterisk.
// The controller's link to ARI (through a link the test cuts) dropping briefly leaves a consult going;
// Agent Two hanging up while it is down ends the consult once it is back. Agent One hanging up while a
// cold transfer rings Agent Two leaves the customer on hold until Agent Two answers: the call is theirs.
// A consulted phone answered while the event stream is down (Asterisk hangs it up: no app listens)
// ends the consult once it is back.
import t, { type Test } from 'tap';
import { connectAri, ensureSimulatedPhone } from '../../src/ari/index.ts';
import { cuttableAri } from '../helpers/ari-link.ts';
import { withAsterisk } from '../helpers/asterisk.ts';
import { Baresip, sipPhones } from '../helpers/baresip.ts';
import { agentGet, agentPost, setPresence, type Agent } from '../helpers/desktop-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { callChannelRoles } from '../helpers/handoff-calls.ts';
import { login } from '../helpers/fixtures.ts';
import { removeDir, startServer, type TestServer } from '../helpers/server.ts';
import { ariGet, callOverHttp, deskPasswordOf, sipPhoneMediaFlows } from '../helpers/voice.ts';

const NUMBER = '+15551230043';

t.test('a consult rejected, a customer hanging up during a transfer ring, a restart during a consult', async (t) => {
  const { asterisk, env, ari } = await withAsterisk(t);
  const ariLink = await cuttableAri(t, asterisk);
  const serverEnv = { ...env, ARI_URL: ariLink.url, OFFER_TIMEOUT_S: '120' };
  const started: { server: TestServer } = { server: await startServer({ env: serverEnv }) };
  const dataDir = started.server.dataDir;
  t.teardown(async () => {
    await started.server.stop();
    await removeDir(dataDir);
  });
  const sipPort = asterisk.sipUdpPort;
  const pstn = await connectAri(asterisk.ariUrl, asterisk.ariUser, env.ARI_PASSWORD);
  const customerLogin = await ensureSimulatedPhone(pstn, NUMBER, 'sip');
  const phone = sipPhones(t, sipPort);
  const customer = await phone(customerLogin.username, customerLogin.password);
  let oneDesk = await phone('agent1-desk', await deskPasswordOf(started.server, 'agent1'));
  const agent2Password = await deskPasswordOf(started.server, 'agent2');
  // Agent Two's desk phone rings and waits for its user (no auto-answer).
  const ringing = await Baresip.start({ accounts: [{ user: 'agent2-desk', password: agent2Password, sipPort, autoAnswer: false }] });
  t.teardown(() => ringing.stop());
  await ringing.waitRegistered('agent2-desk');

  const called = await callOverHttp(started.server, 'agent1', NUMBER);
  const chat = called.chat;
  let one: Agent = called.agent;
  let two = await login(started.server, 'agent2');
  await setPresence(two, 'ready');

  const panel = async (agent: Agent) => (await agentGet(agent, `/desktop/interactions/${chat.id}`, { htmx: true })).text();
  const shows = (agent: () => Agent, text: string, timeoutMs = 15_000) =>
    eventually(text, async () => ((await panel(agent())).includes(text) ? true : undefined), timeoutMs);
  const legBridge = async () => (await ariGet<Array<{ id: string; channels: string[] }>>(ari, '/bridges')).filter((b) => b.id.startsWith('cc-leg-'));
  // The customer and Agent One in the call's one bridge, nothing else of ours in Asterisk.
  const backTogether = async (t: Test) => {
    await eventually('the call bridged again', async () => {
      const bridges = await legBridge();
      return bridges.length === 1 && bridges[0]!.channels.length === 2 ? bridges : undefined;
    }, 10_000);
    t.same(await callChannelRoles(ari), ['agent', 'customer'], "Agent One's phone and the customer's, nothing else");
    await sipPhoneMediaFlows(t, customer, 'the customer, back with Agent One');
  };

  let twoDesk: Baresip | undefined;
  // Phones started by a subtest for the ones after it (a subtest's teardown would end their calls).
  const laterPhones: Baresip[] = [];
  t.teardown(async () => {
    for (const p of laterPhones) await p.stop();
  });
  // The controller's event stream drops (Asterisk keeps its calls); `meanwhile` happens while it is
  // down; then the link is back and the controller has reconciled.
  const streamDrops = (meanwhile?: () => Promise<unknown>) => ariLink.drops(() => started.server, meanwhile);

  await t.test("Agent Two's phone rejects the consult: the customer is back with Agent One, the timeline says why", async (t) => {
    const mark = ringing.events.length;
    const consulted = await agentPost(one, `/desktop/interactions/${chat.id}/consult`, { to: 'agent:agent2' });
    t.equal(consulted.status, 200, 'Consult answers at once, while the phone rings');
    t.match(await consulted.text(), /Calling Agent Two… the customer is on hold\./);
    t.match(await panel(two), /Consult from Agent One/, 'Agent Two reads the chat meanwhile');
    await ringing.waitEvent((e) => e.type === 'CALL_INCOMING', 10_000, mark);
    await ringing.hangupAll();
    await shows(() => one, "Consult with Agent Two cancelled (the other agent&#39;s phone did not answer)");
    t.pass('the consult ended, with the reason');
    t.equal((await agentGet(two, `/desktop/interactions/${chat.id}`, { htmx: true })).status, 403, 'the offer to Agent Two is withdrawn');
    await backTogether(t);
  });

  await t.test('the customer hangs up while a transfer rings Agent Two: the ring ends at once, the chat stays', async (t) => {
    const offered = await agentPost(one, `/desktop/interactions/${chat.id}/transfer`, { to: 'agent:agent2' });
    t.equal(offered.status, 200);
    const mark = ringing.events.length;
    const accepting = agentPost(two, `/desktop/interactions/${chat.id}/accept-transfer`);
    await ringing.waitEvent((e) => e.type === 'CALL_INCOMING', 10_000, mark);
    await customer.hangupAll();
    // The customer's end reaches Agent Two's phone without waiting for its ring to time out.
    await ringing.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, mark);
    const accepted = await accepting;
    t.equal(accepted.status, 409, 'Accept is refused');
    t.match(await accepted.text(), /The customer hung up while your phone rang/);
    await shows(() => one, 'Transfer to Agent Two returned to Agent One (the customer hung up)');
    // The call's release is written after the handoff's return, once Asterisk has torn the call down.
    await shows(() => one, 'Call to the customer: released (customer hung up)');
    const html = await panel(one);
    t.match(html, /call-released/, 'the call is marked released');
    t.match(html, /Call to the customer: released \(customer hung up\)/, 'with its cause');
    t.match(html, /<textarea[^>]*name="text"/, 'the chat goes on with Agent One');
    await eventually('nothing of the call left in Asterisk', async () => ((await callChannelRoles(ari)).length === 0 ? true : undefined), 5000).catch(() => undefined);
    t.same(await callChannelRoles(ari), [], 'nothing of the call is left in Asterisk');
  });

  await t.test('the controller restarts during a consult: the customer is back with Agent One', async (t) => {
    await ringing.stop();
    twoDesk = await phone('agent2-desk', agent2Password); // this one answers
    const call = await agentPost(one, `/desktop/interactions/${chat.id}/call`);
    t.equal(call.status, 200);
    await shows(() => one, 'call-connected', 20_000);
    t.equal((await agentPost(one, `/desktop/interactions/${chat.id}/consult`, { to: 'agent:agent2' })).status, 200);
    await shows(() => one, 'Talking with Agent Two: the customer is on hold.');
    await started.server.stop(); // SIGTERM: Asterisk (external) keeps the calls
    started.server = await startServer({ env: serverEnv, dataDir });
    one = await login(started.server, 'agent1');
    two = await login(started.server, 'agent2');
    await shows(() => one, 'Consult with Agent Two cancelled (the server restarted)');
    t.match(await panel(one), /call-connected/, 'the call goes on, off hold');
    await backTogether(t);
    t.equal((await agentGet(two, `/desktop/interactions/${chat.id}`, { htmx: true })).status, 403, 'Agent Two no longer has it');
  });

  await t.test('the customer hangs up during a consult: the chat stays, the call is released with its cause, nothing is left', async (t) => {
    await setPresence(two, 'ready');
    t.equal((await agentPost(one, `/desktop/interactions/${chat.id}/consult`, { to: 'agent:agent2' })).status, 200);
    await shows(() => one, 'Talking with Agent Two: the customer is on hold.');
    await customer.hangupAll();
    await shows(() => one, 'Consult with Agent Two cancelled (the call ended)');
    // The consult's end is written first; the call's release once Asterisk has torn the call down.
    await shows(() => one, 'Call to the customer: released (customer hung up)');
    const html = await panel(one);
    t.match(html, /Call to the customer: released \(customer hung up\)/, 'the call released, with its cause');
    t.match(html, /<textarea[^>]*name="text"/, 'the chat goes on with Agent One');
    t.equal((await agentGet(two, `/desktop/interactions/${chat.id}`, { htmx: true })).status, 403, 'Agent Two is free of it');
    await eventually('nothing left in Asterisk', async () => ((await callChannelRoles(ari)).length === 0 && (await legBridge()).length === 0 ? true : undefined), 5000);
    t.pass("neither agent's phone nor the customer's is left in a call, and no bridge");
  });

  await t.test("the event stream drops during a consult: the consult goes on; Agent Two hanging up while it is down ends it", async (t) => {
    t.equal((await agentPost(one, `/desktop/interactions/${chat.id}/call`)).status, 200);
    await shows(() => one, 'call-connected', 20_000);
    t.equal((await agentPost(one, `/desktop/interactions/${chat.id}/consult`, { to: 'agent:agent2' })).status, 200);
    await shows(() => one, 'Talking with Agent Two: the customer is on hold.');
    const consultBridge = async () => (await legBridge()).find((b) => b.id.includes('-consult-'));
    const cancelledBefore = (await panel(one)).split('Consult with Agent Two cancelled').length;
    await streamDrops();
    t.equal((await consultBridge())?.channels.length, 2, "Agent Two's phone was not hung up as a stray: the agents still talk");
    t.equal((await callChannelRoles(ari)).length, 3, "the customer's phone and both agents'");
    const html = await panel(one);
    t.match(html, /Talking with Agent Two: the customer is on hold\./, 'the consult goes on');
    t.equal(html.split('Consult with Agent Two cancelled').length, cancelledBefore, 'nothing on the timeline blames Agent Two');
    await sipPhoneMediaFlows(t, twoDesk!, "Agent Two's phone, still talking with Agent One");

    await streamDrops(async () => {
      await twoDesk!.hangupAll();
      await eventually("Agent Two's phone gone from Asterisk", async () => ((await callChannelRoles(ari)).length === 2 ? true : undefined), 10_000);
    });
    await shows(() => one, 'Consult with Agent Two cancelled (the other agent hung up)');
    t.pass('the consult ended once the controller was back, with the reason');
    await backTogether(t);
    t.equal((await agentGet(two, `/desktop/interactions/${chat.id}`, { htmx: true })).status, 403, 'Agent Two is free of it');
  });

  await t.test("Agent One hangs up while a transfer rings Agent Two: the customer waits on hold, and the call is Agent Two's once answered", async (t) => {
    await twoDesk!.stop();
    const answering = await Baresip.start({ accounts: [{ user: 'agent2-desk', password: agent2Password, sipPort, autoAnswer: false }] });
    laterPhones.push(answering);
    await answering.waitRegistered('agent2-desk');
    t.equal((await agentPost(one, `/desktop/interactions/${chat.id}/transfer`, { to: 'agent:agent2' })).status, 200);
    const accepting = agentPost(two, `/desktop/interactions/${chat.id}/accept-transfer`);
    await answering.waitEvent((e) => e.type === 'CALL_INCOMING', 10_000);
    await oneDesk.hangupAll();
    await eventually("Agent One's phone gone from Asterisk", async () => ((await callChannelRoles(ari)).length === 2 ? true : undefined), 10_000);
    await answering.command('accept');
    const accepted = await accepting;
    t.equal(accepted.status, 200, 'Accept completes');
    await shows(() => two, 'call-connected', 15_000);
    await eventually('the customer and Agent Two bridged', async () => {
      const bridges = await legBridge();
      return bridges.length === 1 && bridges[0]!.channels.length === 2 ? true : undefined;
    }, 10_000);
    t.equal((await callChannelRoles(ari)).length, 2, "the customer's phone and Agent Two's: the call was not torn down after the handover");
    await sipPhoneMediaFlows(t, customer, 'the customer, with Agent Two');
    await sipPhoneMediaFlows(t, answering, "Agent Two's phone");
  });

  await t.test('a consulted phone answered while the event stream is down: the consult ends, the customer back with Agent Two', async (t) => {
    // Agent Two has the call now; Agent One's desk phone waits for its user this time.
    await oneDesk.stop();
    oneDesk = await Baresip.start({ accounts: [{ user: 'agent1-desk', password: await deskPasswordOf(started.server, 'agent1'), sipPort, autoAnswer: false }] });
    const oneRinging = oneDesk;
    laterPhones.push(oneRinging);
    await oneRinging.waitRegistered('agent1-desk');
    await setPresence(one, 'ready');
    const consulted = await agentPost(two, `/desktop/interactions/${chat.id}/consult`, { to: 'agent:agent1' });
    t.equal(consulted.status, 200, 'Agent Two consults Agent One');
    await oneRinging.waitEvent((e) => e.type === 'CALL_INCOMING', 10_000);
    // Asterisk hangs up a phone that answers into the Stasis app while no controller listens to it.
    await streamDrops(async () => {
      await oneRinging.command('accept');
      await oneRinging.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000);
    });
    await shows(() => two, 'Consult with Agent One cancelled (');
    t.pass('the consult ended once the controller was back, with the reason');
    await eventually('the customer and Agent Two bridged again', async () => {
      const bridges = await legBridge();
      return bridges.length === 1 && bridges[0]!.channels.length === 2 ? true : undefined;
    }, 10_000);
    t.equal((await callChannelRoles(ari)).length, 2, "the customer's phone and Agent Two's, nothing else");
    t.match(await panel(two), /call-connected/, 'the call goes on, off hold');
    await sipPhoneMediaFlows(t, customer, 'the customer, back with Agent Two');
  });
});

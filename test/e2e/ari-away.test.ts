// The controller's link to ARI cut on cue while Asterisk carries on (a real Asterisk owned by the test,
// the link a TCP relay the test cuts; baresip phones for the customers and the desk phones). What the
// agent and the supervisor do meanwhile goes through at once for the rules, and reconciliation does
// Asterisk's part once ARI is back: Release and Stop pressed while ARI is away, and a ringing call whose
// customer hangs up while it is away. Each subtest places its own call on its own chat and leaves no
// call up, so none depends on another. (test/unit/ari-away.test.ts and reconcile-calls.test.ts keep the
// exact races on an in-memory ARI.)
import t, { type Test } from 'tap';
import { connectAri, ensureSimulatedPhone } from '../../src/ari/index.ts';
import { cuttableAri } from '../helpers/ari-link.ts';
import { withAsterisk } from '../helpers/asterisk.ts';
import { Baresip, sipPhones } from '../helpers/baresip.ts';
import { agentGet, agentPost, setPresence, type Agent } from '../helpers/desktop-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { login, withServer } from '../helpers/fixtures.ts';
import { ariGet, callOverHttp, deskPasswordOf, sipPhoneMediaFlows, startChat } from '../helpers/voice.ts';

const ANSWERS = '+15551230061'; // the customer's phone answers by itself
const RINGS = '+15551230062'; // the customer's phone rings until the customer picks up or hangs up
const AWAY = 'ended while the controller was out of touch with Asterisk';

t.test('ARI away: Release, Stop, and a ringing call whose customer hangs up', async (t) => {
  const { asterisk, env, ari } = await withAsterisk(t);
  const link = await cuttableAri(t, asterisk);
  const server = await withServer(t, { env: { ...env, ARI_URL: link.url, OFFER_TIMEOUT_S: '120' } });
  const sipPort = asterisk.sipUdpPort;
  const pstn = await connectAri(asterisk.ariUrl, asterisk.ariUser, env.ARI_PASSWORD);
  const phone = sipPhones(t, sipPort);
  const answering = await ensureSimulatedPhone(pstn, ANSWERS, 'sip');
  const customer = await phone(answering.username, answering.password);
  const agentDesk = await phone('agent2-desk', await deskPasswordOf(server, 'agent2'));
  const supervisorDesk = await phone('agent1-desk', await deskPasswordOf(server, 'agent1'));
  const ringingLogin = await ensureSimulatedPhone(pstn, RINGS, 'sip');
  const ringingCustomer = await Baresip.start({ accounts: [{ user: ringingLogin.username, password: ringingLogin.password, sipPort, autoAnswer: false }] });
  t.teardown(() => ringingCustomer.stop());
  await ringingCustomer.waitRegistered(ringingLogin.username);

  // What is of ours in Asterisk, read from Asterisk itself (not through the cut link).
  const channelsOf = async (prefix: string) => (await ariGet<Array<{ id: string }>>(ari, '/channels')).filter((c) => c.id.startsWith(prefix)).map((c) => c.id);
  const bridges = async () => (await ariGet<Array<{ id: string }>>(ari, '/bridges')).map((b) => b.id);
  // The bridge of a call, or of a supervisor, by the prefix of its channels (channel-names.ts).
  const bridgeOf = (prefix: string) => (prefix.startsWith('cc-') ? `cc-leg-${prefix.slice(3, -1)}` : prefix.slice(0, -1));
  // A channel of this subtest's call (not in `before`) and its role: `cc-<leg>-agent` gives `cc-<leg>-`.
  const prefixOf = (before: string[], kind: string, role: string) =>
    eventually(`the new ${kind}…${role} channel`, async () => {
      const id = (await channelsOf(kind)).find((c) => c.endsWith(role) && !before.includes(c));
      return id?.slice(0, id.length - role.length + 1);
    }, 10_000);
  const none = (what: string, probe: () => Promise<string[]>) => eventually(what, async () => ((await probe()).length === 0 ? true : undefined), 10_000);
  const panel = async (agent: Agent, chatId: string) => (await agentGet(agent, `/desktop/interactions/${chatId}`, { htmx: true })).text();
  const shows = (agent: Agent, chatId: string, text: string) => eventually(text, async () => ((await panel(agent, chatId)).includes(text) ? true : undefined), 20_000);
  const monitor = async (supervisor: Agent, chatId: string) => (await agentGet(supervisor, `/supervisor/interactions/${chatId}`)).text();
  const times = (html: string, text: string) => html.split(text).length - 1;
  const closed = (who: Baresip, since: number) => who.waitEvent((e) => e.type === 'CALL_CLOSED', 15_000, since);

  // agent2 on a call with the customer, agent1 (an admin) listening on their desk phone; `call` and
  // `supervision` begin the names of their channels in Asterisk.
  const supervisedCall = async (t: Test) => {
    hangsUpAfter(t, customer, agentDesk, supervisorDesk);
    const before = await channelsOf('');
    const { agent, chat } = await callOverHttp(server, 'agent2', ANSWERS);
    const supervisor = await login(server, 'agent1');
    t.equal((await agentPost(supervisor, `/supervisor/interactions/${chat.id}/listen`)).status, 200, 'Listen');
    await eventually('listening', async () => ((await monitor(supervisor, chat.id)).includes('You: <span class="mode">listening') ? true : undefined), 20_000);
    const call = await prefixOf(before, 'cc-', '-agent');
    const supervision = await prefixOf(before, 'sv-', '-phone');
    t.same((await channelsOf(call)).length, 2, "the agent's phone and the customer's in Asterisk");
    t.ok((await bridges()).includes(bridgeOf(call)) && (await bridges()).includes(bridgeOf(supervision)), "the call's bridge and the supervisor's");
    const marks = { customer: customer.events.length, agent: agentDesk.events.length, supervisor: supervisorDesk.events.length };
    return { agent, chat, supervisor, marks, call, supervision };
  };
  // Whatever a failing subtest leaves up is hung up by the phones, so the next one starts with none.
  const hangsUpAfter = (t: Test, ...phones: Baresip[]) =>
    t.teardown(async () => {
      for (const p of phones) await p.hangupAll();
    });
  // Reconciliation, once ARI is back, does not report again a supervisor the rules already took off.
  const leftOnce = async (t: Test, supervisor: Agent, chatId: string) =>
    t.equal(times(await monitor(supervisor, chatId), 'Supervisor Agent One: left the call'), 1, "Monitor's timeline tells the leaving once");
  const disconnect = async (t: Test, agent: Agent, chatId: string) => t.equal((await agentPost(agent, `/desktop/interactions/${chatId}/disconnect`)).status, 200, 'the chat is disconnected');

  await t.test('Release while ARI is away: released at once, the supervisor taken off; Asterisk hung up once ARI is back', async (t) => {
    const { agent, chat, supervisor, marks, call, supervision } = await supervisedCall(t);
    await link.drops(() => server, async () => {
      const released = await agentPost(agent, `/desktop/interactions/${chat.id}/release`);
      t.equal(released.status, 200, 'Release goes through while ARI is away');
      t.match(await released.text(), /call-released/, 'the answer shows the call released');
      t.match(await panel(agent, chat.id), /call-released/, 'the desktop shows it released');
      const page = await monitor(supervisor, chat.id);
      t.notMatch(page, /You: /, 'Monitor no longer shows the supervisor on the call');
      t.match(page, /Supervisor Agent One: left the call \(the call ended\)/, 'and says why they left');
      t.equal((await channelsOf(call)).length, 2, 'Asterisk still carries the call: the controller cannot reach it');
    });
    await none("the call's channels hung up", () => channelsOf(call));
    await none("the supervisor's channels hung up", () => channelsOf(supervision));
    t.pass('no channel of the call or of the supervisor is left in Asterisk');
    // Reconciliation removes bridges after the channels: waited for, as the channels are.
    await none('nor a bridge', async () => (await bridges()).filter((id) => id === bridgeOf(call) || id === bridgeOf(supervision)));
    await closed(customer, marks.customer);
    await closed(agentDesk, marks.agent);
    await closed(supervisorDesk, marks.supervisor);
    t.pass("the customer's, the agent's and the supervisor's phones are hung up");
    const after = await panel(agent, chat.id);
    t.match(after, /call-released/, 'the desktop still shows the call released');
    t.equal(times(after, 'Call to the customer: released'), 1, 'its timeline tells the release once');
    t.notMatch(after, /out of touch/, 'and nothing blames the time ARI was away');
    await leftOnce(t, supervisor, chat.id);
    await disconnect(t, agent, chat.id);
  });

  await t.test('Stop while ARI is away: the supervisor leaves at once, the call goes on; their channels removed once ARI is back', async (t) => {
    const { agent, chat, supervisor, marks, call, supervision } = await supervisedCall(t);
    await link.drops(() => server, async () => {
      const stopped = await agentPost(supervisor, `/supervisor/interactions/${chat.id}/stop`);
      t.equal(stopped.status, 200, 'Stop goes through while ARI is away');
      const page = await monitor(supervisor, chat.id);
      t.notMatch(page, /You: /, 'Monitor no longer shows the supervisor on the call');
      t.match(page, /Supervisor Agent One: left the call \(stopped by the supervisor\)/, 'and says why they left');
      t.match(await panel(agent, chat.id), /call-connected/, 'the call goes on');
    });
    await none("the supervisor's channels hung up", () => channelsOf(supervision));
    t.pass('no channel of the supervisor is left in Asterisk');
    await none('nor its bridge', async () => (await bridges()).filter((id) => id === bridgeOf(supervision)));
    await closed(supervisorDesk, marks.supervisor);
    t.pass("the supervisor's phone is hung up");
    t.equal((await channelsOf(call)).length, 2, "the agent's and the customer's phones stay up");
    t.match(await panel(agent, chat.id), /call-connected/, 'the desktop shows the call connected');
    await leftOnce(t, supervisor, chat.id);
    await sipPhoneMediaFlows(t, customer, 'the customer, whose call went on');
    t.equal((await agentPost(agent, `/desktop/interactions/${chat.id}/release`)).status, 200, 'Release call');
    await closed(customer, marks.customer);
    await closed(agentDesk, marks.agent);
    await disconnect(t, agent, chat.id);
  });

  await t.test("a ringing call whose customer hangs up while ARI is away: failed once it is back, the agent's phone hung up", async (t) => {
    hangsUpAfter(t, ringingCustomer, agentDesk);
    const agent = await login(server, 'agent2');
    await setPresence(agent, 'ready');
    const chat = await startChat(server, 'roadside', RINGS);
    await eventually('offered', async () => ((await agentPost(agent, `/desktop/interactions/${chat.id}/accept`)).status === 200 ? true : undefined), 10_000);
    const marks = { customer: ringingCustomer.events.length, agent: agentDesk.events.length };
    const before = await channelsOf('');
    t.equal((await agentPost(agent, `/desktop/interactions/${chat.id}/call`)).status, 200, 'the agent calls the customer');
    await ringingCustomer.waitEvent((e) => e.type === 'CALL_INCOMING', 20_000, marks.customer);
    await shows(agent, chat.id, 'call-ringing');
    t.pass("the agent's phone answered, the customer's rings");
    const call = await prefixOf(before, 'cc-', '-agent');
    t.ok((await bridges()).includes(bridgeOf(call)), "the call's bridge is in Asterisk");
    await link.drops(() => server, async () => {
      await ringingCustomer.hangupAll();
      await closed(ringingCustomer, marks.customer);
      await none("the customer's channel gone from Asterisk", async () => (await channelsOf(call)).filter((id) => id.endsWith('-customer')));
      t.same(await channelsOf(call), [`${call}agent`], "the agent's phone is left alone in Asterisk");
    });
    await shows(agent, chat.id, 'call-failed');
    t.match(await panel(agent, chat.id), new RegExp(`Failed</span> <span class="cause">\\(${AWAY}\\)`), 'the desktop shows the call failed, and why (not ringing forever)');
    await closed(agentDesk, marks.agent);
    t.pass("the agent's phone is hung up");
    await none('no channel of the call left in Asterisk', () => channelsOf(call));
    t.pass('no channel of the call is left in Asterisk');
    await none('nor its bridge', async () => (await bridges()).filter((id) => id === bridgeOf(call)));
    const after = await panel(agent, chat.id);
    t.equal(times(after, 'Call to the customer: failed'), 1, 'its timeline tells the failure once');
    t.match(after, /<textarea[^>]*name="text"/, 'the chat goes on');
    await disconnect(t, agent, chat.id);
  });
});

// A supervisor on a call survives a restart of the controller, like the call: the new controller
// adopts the supervisor's channels (its mode can be changed and Stop works), and a supervisor who hung
// up while no controller ran is reported gone. Real Asterisk (owned by the test, so it outlives the
// server) and three baresip phones: the customer, the agent's desk phone, the supervisor's desk phone.
import t from 'tap';
import { connectAri, ensureSimulatedPhone } from '../../src/ari/index.ts';
import { withAsterisk } from '../helpers/asterisk.ts';
import { sipPhones } from '../helpers/baresip.ts';
import { agentGet, agentPost } from '../helpers/desktop-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { login } from '../helpers/fixtures.ts';
import { firstLogEntry, removeDir, startServer, type TestServer } from '../helpers/server.ts';
import { ariGet, callOverHttp, deskPasswordOf, sipPhoneMediaFlows } from '../helpers/voice.ts';

const NUMBER = '+15551230042';

t.test('a supervisor on a call across controller restarts', async (t) => {
  const { asterisk, env, ari } = await withAsterisk(t);
  const started: { server: TestServer } = { server: await startServer({ env: { ...env, OFFER_TIMEOUT_S: '120' } }) };
  const dataDir = started.server.dataDir;
  t.teardown(async () => {
    await started.server.stop();
    await removeDir(dataDir);
  });
  const sipPort = asterisk.sipUdpPort;
  const restart = async () => {
    await started.server.stop(); // SIGTERM: Asterisk (external) keeps the calls
    started.server = await startServer({ env: { ...env, OFFER_TIMEOUT_S: '120' }, dataDir });
    return started.server;
  };

  const pstn = await connectAri(asterisk.ariUrl, asterisk.ariUser, env.ARI_PASSWORD);
  const customerLogin = await ensureSimulatedPhone(pstn, NUMBER, 'sip');
  const phone = sipPhones(t, sipPort);
  const customer = await phone(customerLogin.username, customerLogin.password);
  await phone('agent2-desk', await deskPasswordOf(started.server, 'agent2'));
  const supervisorPassword = await deskPasswordOf(started.server, 'agent1');

  // agent2 takes the chat and calls the customer, over the desktop's HTTP requests.
  const called = await callOverHttp(started.server, 'agent2', NUMBER);
  const chat = called.chat;
  let agent = called.agent;

  // Monitor, where the supervisor's controls say who is on the call.
  const monitorPage = async (who: Awaited<ReturnType<typeof login>>) => (await agentGet(who, `/supervisor/interactions/${chat.id}`)).text();
  let supervisor = await login(started.server, 'agent1');
  const act = async (action: string) => {
    const res = await agentPost(supervisor, `/supervisor/interactions/${chat.id}/${action}`);
    const html = await res.text();
    if (res.status !== 200) throw new Error(`${action}: ${res.status} ${html.match(/role="alert">([^<]*)/)?.[1] ?? html.slice(0, 200)}`);
  };
  const inMode = (text: string) => eventually(text, async () => ((await monitorPage(supervisor)).includes(`You: <span class="mode">${text}`) ? true : undefined), 20_000);
  const supervisorChannels = async () => (await ariGet<Array<{ id: string }>>(ari, '/channels')).filter((c) => c.id.startsWith('sv-')).map((c) => c.id);

  // No phone of the supervisor's is registered yet: Listen says so, and nothing is left behind.
  const unregistered = await (await agentPost(supervisor, `/supervisor/interactions/${chat.id}/listen`)).text();
  t.match(unregistered, /role="alert">Could not listen: the supervisor’s phone is not registered|role="alert">Could not listen: the supervisor&#39;s phone is not registered/, 'Listen without a registered phone says why');
  t.same(await supervisorChannels(), [], 'and leaves nothing in Asterisk');

  const supervisorPhone = await phone('agent1-desk', supervisorPassword);
  await act('listen');
  await inMode('listening');
  await sipPhoneMediaFlows(t, supervisorPhone, "the supervisor's desk phone while listening");

  await t.test('the controller restarts: the supervisor is adopted, changes mode and stops', async (t) => {
    const server = await restart();
    t.match(await firstLogEntry(server, 'supervisors reconciled with Asterisk'), { adopted: 1, ended: 0 }, 'the new controller adopted the supervisor');
    supervisor = await login(server, 'agent1');
    await inMode('listening');
    const before = await supervisorChannels();
    await act('whisper');
    await inMode('whispering');
    const after = await supervisorChannels();
    t.ok(after.some((id) => id.endsWith('-phone')) && before.filter((id) => id.endsWith('-phone')).join() === after.filter((id) => id.endsWith('-phone')).join(), 'the same phone call');
    t.notSame(after.filter((id) => id.includes('-snoop-')), before.filter((id) => id.includes('-snoop-')), 'a new snoop channel for Whisper');
    const mark = supervisorPhone.events.length;
    await act('stop');
    await supervisorPhone.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, mark);
    await eventually('no channel of the supervisor', async () => ((await supervisorChannels()).length === 0 ? true : undefined), 5000);
    t.pass('Stop left no channel of the supervisor');
    t.same((await ariGet<Array<{ name: string }>>(ari, '/bridges')).filter((b) => b.name.startsWith('sv-')), [], 'nor its bridge');
  });

  await t.test('the supervisor hangs up while no controller runs: reported gone when it is back', async (t) => {
    await act('listen');
    await inMode('listening');
    await started.server.stop();
    const mark = supervisorPhone.events.length;
    await supervisorPhone.hangupAll();
    await supervisorPhone.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, mark);
    started.server = await startServer({ env: { ...env, OFFER_TIMEOUT_S: '120' }, dataDir });
    t.match(await firstLogEntry(started.server, 'supervisors reconciled with Asterisk'), { adopted: 0, ended: 1 }, 'the new controller found the supervisor gone');
    supervisor = await login(started.server, 'agent1');
    t.notMatch(await monitorPage(supervisor), /You: /, 'the page no longer shows the supervisor on the call');
    t.same(await supervisorChannels(), [], 'and nothing of it is left in Asterisk');
    await sipPhoneMediaFlows(t, customer, 'the customer, whose call went on');
    t.match(await monitorPage(supervisor), /Supervisor Agent One: left the call \(ended while the controller was out of touch/, "Monitor's timeline says when and why the supervisor left");
    // The agent heard the supervisor whisper (first test), never the listening nor this leaving (README: Listen stays silent).
    agent = await login(started.server, 'agent2');
    const history = await (await agentGet(agent, `/desktop/history/${chat.id}`)).text();
    t.match(history, /Supervisor Agent One: whispering to the agent/, "the agent's history keeps the whisper it heard");
    t.notMatch(history, /Supervisor Agent One: (calling|listening|left the call)/, 'and nothing of a supervisor who only listened');
  });

  await t.test('the supervisor hangs up their phone: they leave the call, which goes on', async (t) => {
    await act('listen');
    await inMode('listening');
    const mark = supervisorPhone.events.length;
    await supervisorPhone.hangupAll();
    await supervisorPhone.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, mark);
    await eventually('off the call', async () => (!(await monitorPage(supervisor)).includes('You: ') ? true : undefined), 10_000);
    // Its timeline entry follows the supervisor's leaving by one durable write.
    const monitor = await eventually('the leaving on the timeline', async () => {
      const page = await monitorPage(supervisor);
      return page.includes('left the call (the supervisor hung up)') ? page : undefined;
    }, 10_000).catch(() => '');
    t.match(monitor, /Supervisor Agent One: left the call \(the supervisor hung up\)/, "Monitor's timeline says why");
    await eventually('nothing left in Asterisk', async () => ((await supervisorChannels()).length === 0 ? true : undefined), 5000);
    await sipPhoneMediaFlows(t, customer, 'the customer, whose call went on');
  });
});

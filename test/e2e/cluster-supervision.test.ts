// A supervisor on a call in a cluster, and the leader killed under it, with real parts: one Asterisk
// owned by the test (both nodes run TELEPHONY=external against it), baresip phones for the customer,
// the agent's desk phone and the supervisor's desk phone, every click over HTTP on the follower. Listen
// goes to the leader; after kill -9 of the leader the follower leads, adopts the supervisor with the
// call, and Whisper and Stop work from the same node.
import t from 'tap';
import { connectAri, ensureSimulatedPhone } from '../../src/ari/index.ts';
import { withAsterisk } from '../helpers/asterisk.ts';
import { sipPhones } from '../helpers/baresip.ts';
import { leaderOnAriAndFollower, untilRole, withCluster } from '../helpers/cluster.ts';
import { agentGet, agentPost } from '../helpers/desktop-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { login } from '../helpers/fixtures.ts';
import { firstLogEntry } from '../helpers/server.ts';
import { ariGet, callOverHttp, deskPasswordOf, sipPhoneMediaFlows } from '../helpers/voice.ts';

const NUMBER = '+15551230078';

t.test('a supervisor listening through the follower survives the leader', async (t) => {
  const owned = await withAsterisk(t);
  const env = { ...owned.env, OFFER_TIMEOUT_S: '120' };
  const cluster = await withCluster(t);
  const { a, b } = await leaderOnAriAndFollower(cluster, env);

  const phone = sipPhones(t, owned.asterisk.sipUdpPort);
  const pstn = await connectAri(owned.asterisk.ariUrl, owned.asterisk.ariUser, owned.ariPassword);
  const line = await ensureSimulatedPhone(pstn, NUMBER, 'sip');
  const customer = await phone(line.username, line.password);
  await phone('agent2-desk', await deskPasswordOf(b, 'agent2'));
  const supervisorPhone = await phone('agent1-desk', await deskPasswordOf(b, 'agent1'));

  const { chat } = await callOverHttp(b, 'agent2', NUMBER, a);
  const supervisor = await login(b, 'agent1');
  const act = async (action: string) => {
    const res = await agentPost(supervisor, `/supervisor/interactions/${chat.id}/${action}`);
    const html = await res.text();
    if (res.status !== 200) throw new Error(`${action}: ${res.status} ${html.slice(0, 200)}`);
  };
  const inMode = (mode: string) =>
    eventually(mode, async () => ((await (await agentGet(supervisor, `/supervisor/interactions/${chat.id}`)).text()).includes(`You: <span class="mode">${mode}`) ? true : undefined), 20_000);
  const supervisorChannels = async () => (await ariGet<Array<{ id: string }>>(owned.ari, '/channels')).filter((c) => c.id.startsWith('sv-')).map((c) => c.id);

  await act('listen');
  await inMode('listening');
  // Listening is shown once the phone answered; its first packets from the bridge follow a moment later.
  await eventually("the supervisor's phone receives", async () => (await supervisorPhone.rtp()) ?? undefined, 5000);
  await sipPhoneMediaFlows(t, supervisorPhone, "the supervisor's phone, joined through the follower");

  process.kill(a.pid, 'SIGKILL');
  await untilRole(b, 'leader', 30_000);
  await eventually('node B on ARI', async () => ((await (await fetch(`${b.url}/healthz`)).json()) as { ari: { state: string } }).ari.state === 'up' || undefined, 10_000);
  t.match(await firstLogEntry(b, 'supervisors reconciled with Asterisk'), { adopted: 1, ended: 0 }, 'the new leader adopted the supervisor');
  await sipPhoneMediaFlows(t, supervisorPhone, "the supervisor's phone after the failover");

  await act('whisper');
  await inMode('whispering');
  t.equal((await supervisorChannels()).filter((id) => id.endsWith('-phone')).length, 1, 'Whisper on the same phone call');
  const mark = supervisorPhone.events.length;
  await act('stop');
  await supervisorPhone.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, mark);
  await eventually('no channel of the supervisor', async () => ((await supervisorChannels()).length === 0 ? true : undefined), 5000);
  t.pass('Stop on the new leader left nothing in Asterisk');
  await sipPhoneMediaFlows(t, customer, 'the customer, whose call went on');
});

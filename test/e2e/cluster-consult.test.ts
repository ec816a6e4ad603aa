// Consult in a cluster, with real parts: two nodes on one PostgreSQL, one Asterisk owned by the test,
// baresip phones for the customer and both agents' desk phones. Agent One works on the follower, whose
// Consult and Complete transfer run on the leader (web/cluster/commands.ts), which holds ARI and the
// consult's call; the follower's pages show what the leader did, and the call ends up with Agent Two.
import t from 'tap';
import { connectAri, ensureSimulatedPhone } from '../../src/ari/index.ts';
import { withAsterisk } from '../helpers/asterisk.ts';
import { sipPhones } from '../helpers/baresip.ts';
import { leaderOnAriAndFollower, withCluster } from '../helpers/cluster.ts';
import { agentGet, agentPost, setPresence, type Agent } from '../helpers/desktop-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { callChannelRoles } from '../helpers/handoff-calls.ts';
import { login } from '../helpers/fixtures.ts';
import { callOverHttp, deskPasswordOf, sipPhoneMediaFlows } from '../helpers/voice.ts';

const NUMBER = '+15551230044';

t.test('Consult and Complete transfer from a follower', async (t) => {
  const owned = await withAsterisk(t);
  const { ari, ariPassword } = owned;
  const { sipUdpPort: sipPort, ariUrl, ariUser } = owned.asterisk;
  const cluster = await withCluster(t);
  const { a, b } = await leaderOnAriAndFollower(cluster, { ...owned.env, OFFER_TIMEOUT_S: '120' });

  const pstn = await connectAri(ariUrl, ariUser, ariPassword);
  const customerLogin = await ensureSimulatedPhone(pstn, NUMBER, 'sip');
  const phone = sipPhones(t, sipPort);
  const customer = await phone(customerLogin.username, customerLogin.password);
  const oneDesk = await phone('agent1-desk', await deskPasswordOf(b, 'agent1'));
  const twoDesk = await phone('agent2-desk', await deskPasswordOf(b, 'agent2'));

  // Agent One, on the follower, takes a chat started on the leader and calls the customer.
  const { agent: one, chat } = await callOverHttp(b, 'agent1', NUMBER, a);
  const two = await login(b, 'agent2');
  await setPresence(two, 'ready');
  const panel = async (agent: Agent) => (await agentGet(agent, `/desktop/interactions/${chat.id}`, { htmx: true })).text();
  const shows = (agent: Agent, text: string) => eventually(text, async () => ((await panel(agent)).includes(text) ? true : undefined), 15_000);

  const consulted = await agentPost(one, `/desktop/interactions/${chat.id}/consult`, { to: 'agent:agent2' });
  t.equal(consulted.status, 200, 'Consult through the follower');
  await shows(one, 'Talking with Agent Two: the customer is on hold.');
  t.pass("Agent Two's desk phone answered: the follower's page says the agents talk");
  t.match(await panel(two), /Consult from Agent One/, 'Agent Two reads the chat');

  const mark = oneDesk.events.length;
  const completed = await agentPost(one, `/desktop/interactions/${chat.id}/complete-transfer`);
  t.equal(completed.status, 200, 'Complete transfer through the follower');
  t.match(await completed.text(), /Agent One completed the transfer to Agent Two/);
  await oneDesk.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, mark);
  t.pass("Agent One's desk phone was hung up");
  await shows(two, 'call-connected');
  t.same(await callChannelRoles(ari), ['agent-1', 'customer'], "the customer's leg and Agent Two's phone, nothing else");
  await sipPhoneMediaFlows(t, twoDesk, "Agent Two's desk phone, with the customer");
  await sipPhoneMediaFlows(t, customer, 'the customer, with Agent Two');
  t.equal((await agentPost(two, `/desktop/interactions/${chat.id}/release`)).status, 200, 'Agent Two releases the call');
  await eventually('nothing left in Asterisk', async () => ((await callChannelRoles(ari)).length === 0 ? true : undefined), 10_000);
});

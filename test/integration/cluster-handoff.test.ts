// Transfer in a cluster: two real nodes on one PostgreSQL. The first agent works on the follower,
// which forwards Transfer to the leader (web/cluster/commands.ts); the target accepts on the leader,
// which holds the offer's timer. Each node's pages show what the leader decided.
import t from 'tap';
import { ApiClient, uniqueName } from '../helpers/api-client.ts';
import { clusterHealth, untilRole, withCluster } from '../helpers/cluster.ts';
import { agentGet, agentPost, setPresence } from '../helpers/desktop-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { login } from '../helpers/fixtures.ts';

t.test('a transfer started on the follower and accepted on the leader', async (t) => {
  const cluster = await withCluster(t);
  const a = await cluster.startNode('node-a');
  await untilRole(a, 'leader');
  const b = await cluster.startNode('node-b');
  await eventually('both nodes in the registry', async () => ((await clusterHealth(a)).nodes === 2 ? true : undefined));

  const first = await login(b, 'agent1');
  const target = await login(a, 'agent2');
  await setPresence(first, 'ready');
  const customer = new ApiClient(a.url);
  const chat = await customer.createChat({ name: uniqueName('Rosa') });
  await eventually('the offer', async () => ((await customer.chat(chat)).state === 'offered' ? true : undefined));
  t.equal((await agentPost(first, `/desktop/interactions/${chat.id}/accept`)).status, 200);
  await setPresence(first, 'not_ready');
  await setPresence(target, 'ready');

  const offered = await agentPost(first, `/desktop/interactions/${chat.id}/transfer`, { to: 'agent:agent2', note: 'via B' });
  t.equal(offered.status, 200, 'Transfer through the follower');
  t.match(await offered.text(), /Transfer offered to Agent Two/, 'the follower shows what the leader decided');
  t.equal((await agentPost(first, `/desktop/interactions/${chat.id}/transfer`, { to: 'agent:agent2' })).status, 409, 'a second transfer is refused');
  t.match(await (await agentGet(target, '/desktop')).text(), new RegExp(`/desktop/interactions/${chat.id}/accept-transfer`), "the offer is in the target's list");

  const accepted = await agentPost(target, `/desktop/interactions/${chat.id}/accept-transfer`);
  t.equal(accepted.status, 200);
  t.match(await accepted.text(), /Agent Two accepted the transfer from Agent One/);
  t.equal((await agentPost(first, `/desktop/interactions/${chat.id}/disconnect`)).status, 403, 'the first agent no longer handles it, on the follower either');
  t.equal((await agentPost(target, `/desktop/interactions/${chat.id}/disconnect`)).status, 200, 'the target ends it');
  await setPresence(target, 'not_ready');
});

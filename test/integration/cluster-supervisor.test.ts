// The supervisor's floor on a cluster's follower: two real nodes on one PostgreSQL, the customer and
// the agent on the leader, the supervisor's page and socket on the follower, which sees every change
// through the change feed (the replica), as on one node.
import t from 'tap';
import { ApiClient, uniqueName } from '../helpers/api-client.ts';
import { untilRole, withCluster } from '../helpers/cluster.ts';
import { agentGet, agentPost, setPresence } from '../helpers/desktop-client.ts';
import { login } from '../helpers/fixtures.ts';
import { openSocket } from '../helpers/socket-probe.ts';

t.test("a supervisor on the follower sees the leader's chats live, and follows one on Monitor", async (t) => {
  const cluster = await withCluster(t);
  const a = await cluster.startNode('node-a');
  await untilRole(a, 'leader');
  const b = await cluster.startNode('node-b');
  await untilRole(b, 'follower');

  const supervisor = { ...(await login(a, 'supervisor1')), baseUrl: b.url };
  const agent = await login(a, 'agent1');
  const ws = (query: string) => openSocket(`${b.url.replace('http', 'ws')}/supervisor/ws${query}`, { headers: { cookie: supervisor.cookie, origin: b.url } });
  const floor = await ws('?view=floor');
  t.teardown(() => floor.close());
  await floor.waitFor((f) => f.includes('id="floor-interactions"'), 'the floor on the follower');

  await setPresence(agent, 'ready');
  const customer = new ApiClient(a.url);
  const name = uniqueName('Rosa');
  const chat = await customer.createChat({ name });
  t.teardown(async () => void (await customer.end(chat)).text());
  await floor.waitFor((f) => f.includes(`data-interaction="${chat.id}"`) && f.includes(name), 'the new chat, on the follower', { timeoutMs: 10_000 });
  const accepted = await agentPost(agent, `/desktop/interactions/${chat.id}/accept`);
  t.equal(accepted.status, 200);
  await accepted.text();
  await floor.waitFor((f) => new RegExp(`data-interaction="${chat.id}"[\\s\\S]*?Agent One[\\s\\S]*?In progress`).test(f), 'its agent', { timeoutMs: 10_000 });
  await floor.waitFor((f) => /<tr data-agent="agent1">[\s\S]*?Ready/.test(f), "the agent's presence");

  const monitorPage = await agentGet(supervisor, `/supervisor/interactions/${chat.id}`);
  t.equal(monitorPage.status, 200, 'Monitor opens on the follower');
  t.match(await monitorPage.text(), 'Agent One accepted the chat');
  const monitor = await ws('');
  t.teardown(() => monitor.close());
  monitor.send({ type: 'sync', interaction: chat.id, after: 0 });
  await customer.say(chat, 'hello from the leader');
  await monitor.waitFor((f) => f.includes('hello from the leader'), 'the message, live on the follower', { timeoutMs: 10_000 });
  await setPresence(agent, 'not_ready');
});

// Wrap-up and rating in a cluster: two real nodes on one PostgreSQL, the agent on the follower, the
// customer on the leader. The follower forwards Done and the rating (web/cluster/commands.ts); the
// leader holds the wrap-up's time and routing.
import t from 'tap';
import { ApiClient, uniqueName } from '../helpers/api-client.ts';
import { clusterHealth, untilRole, withCluster } from '../helpers/cluster.ts';
import { agentGet, agentPost, setPresence } from '../helpers/desktop-client.ts';
import { listItem, presenceShown } from '../helpers/desktop-html.ts';
import { eventually } from '../helpers/eventually.ts';
import { login } from '../helpers/fixtures.ts';

t.test('wrap-up and rating with the agent on the follower', async (t) => {
  const cluster = await withCluster(t);
  const a = await cluster.startNode('node-a');
  await untilRole(a, 'leader');
  const b = await cluster.startNode('node-b');
  await eventually('both nodes in the registry', async () => ((await clusterHealth(a)).nodes === 2 ? true : undefined));

  const agent = await login(b, 'agent1');
  const saved = await agentPost(agent, '/admin/services/roadside', { name: 'Roadside Assistance', wrapUpSeconds: '300', afterWrapUp: 'ready' });
  t.equal(saved.status, 200, 'the wrap-up time is set through the follower');
  await setPresence(agent, 'ready');
  const customer = new ApiClient(a.url);
  const chat = await customer.createChat({ name: uniqueName('Rosa') });
  await eventually('the offer', async () => ((await customer.chat(chat)).state === 'offered' ? true : undefined));
  t.equal((await agentPost(agent, `/desktop/interactions/${chat.id}/accept`)).status, 200);
  t.equal((await agentPost(agent, `/desktop/interactions/${chat.id}/disconnect`)).status, 200);

  const page = await eventually('wrap-up shown on the follower', async () => {
    const html = await (await agentGet(agent, '/desktop')).text();
    return presenceShown(html) === 'wrap_up' ? html : undefined;
  });
  t.match(listItem(page, chat.id), /Wrap-up/, 'the ended chat is listed for its wrap-up');
  const next = await customer.createChat({ name: uniqueName('Second') });
  t.equal((await customer.chat(next)).state, 'queued', 'no offer during wrap-up');

  const done = await agentPost(agent, `/desktop/interactions/${chat.id}/wrap-up`, { disposition: 'Resolved', notes: 'via B' });
  t.equal(done.status, 200);
  t.match(await done.text(), /Disposition: <strong>Resolved<\/strong>/, 'the follower shows what the leader recorded');
  await eventually('the second chat offered', async () => ((await customer.chat(next)).state === 'offered' ? true : undefined));
  t.equal((await agentPost(agent, `/desktop/interactions/${chat.id}/wrap-up`, { disposition: 'Resolved', notes: '' })).status, 409, 'Done twice');

  const follower = new ApiClient(b.url);
  const rated = await follower.request('POST', `/api/v1/chats/${chat.id}/rating`, { json: { score: 5 }, token: chat.token });
  t.equal(rated.status, 201, 'rated through the follower');
  const again = await customer.request('POST', `/api/v1/chats/${chat.id}/rating`, { json: { score: 2 }, token: chat.token });
  t.equal(again.status, 409, 'once, whichever node is asked');
  await customer.end(next);
  await setPresence(agent, 'not_ready');
});

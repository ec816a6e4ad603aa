// What a start takes up from the one before, against the real server and its SQLite data folder: a
// disabling saved but not applied (the server stopped in between, or it was made while none ran), and
// wrap-ups in progress, with the time they had left.
import t from 'tap';
import { openStores } from '../../src/store/open-stores.ts';
import { ApiClient } from '../helpers/api-client.ts';
import { agentGet, agentPost, setPresence, type Agent } from '../helpers/desktop-client.ts';
import { presenceShown } from '../helpers/desktop-html.ts';
import { acceptThenNotReady, login, submitLogin, withServer } from '../helpers/fixtures.ts';

t.test('an agent saved as disabled without its effects: at the next start its chat goes back to the queue', async (t) => {
  let server = await withServer(t);
  const { dataDir } = server;
  const api = new ApiClient(server.url);
  const agent1 = await login(server, 'agent1');
  await setPresence(agent1, 'ready');
  const chat = await api.createChat({});
  await acceptThenNotReady(agent1, chat);
  t.equal((await api.chat(chat)).state, 'active', 'agent1 handles the chat');
  await server.stop();

  // What a leader that stopped right after saving leaves behind: the agent disabled, nothing else done.
  const stores = await openStores({ dataDir }, (err) => {
    throw err;
  });
  const agent = await stores.directory.getAgent('agent1');
  await stores.directory.saveAgent({ ...agent!, disabled: true });
  await stores.close();

  server = await withServer(t, { dataDir });
  api.baseUrl = server.url;
  t.equal((await api.chat(chat)).state, 'queued', 'the chat is back in the queue for another agent');
  t.equal((await submitLogin(server, 'agent1', 'demo')).status, 403, 'the disabled agent cannot log in');
});

const presenceOf = async (agent: Agent) => presenceShown(await (await agentGet(agent, '/desktop')).text());

// agent1 (an admin) sets the roadside service's wrap-up, takes a chat and disconnects it: in wrap-up.
async function inWrapUp(server: { url: string }, wrapUpSeconds: string) {
  const api = new ApiClient(server.url);
  const agent1 = await login(server, 'agent1');
  const form = { name: 'Roadside Assistance', autoDial: '', dispositionCodes: 'Resolved', wrapUpSeconds, afterWrapUp: 'ready' };
  if ((await agentPost(agent1, '/admin/services/roadside', form)).status !== 200) throw new Error('service not saved');
  await setPresence(agent1, 'ready');
  const chat = await api.createChat({});
  await acceptThenNotReady(agent1, chat);
  if ((await agentPost(agent1, `/desktop/interactions/${chat.id}/disconnect`)).status !== 200) throw new Error('not disconnected');
  return { chat, presence: await presenceOf(agent1) };
}

t.test("a wrap-up in progress is owed again after a restart: listed on the agent's desktop, and Done records it", async (t) => {
  let server = await withServer(t);
  const { dataDir } = server;
  const { chat, presence } = await inWrapUp(server, '300');
  t.equal(presence, 'wrap_up', 'in wrap-up before the stop');
  await server.stop();

  server = await withServer(t, { dataDir });
  const agent1 = await login(server, 'agent1');
  const desktop = await (await agentGet(agent1, '/desktop')).text();
  t.equal(presenceShown(desktop), 'not_ready', 'logged in again: Not Ready, as after a Log out during wrap-up');
  t.match(desktop, new RegExp(`href="/desktop/interactions/${chat.id}"[^]*?Wrap-up`), 'the chat is listed as Wrap-up');
  t.equal((await agentPost(agent1, `/desktop/interactions/${chat.id}/wrap-up`, { disposition: 'Resolved', notes: '' })).status, 200, 'Done');
  t.notMatch(await (await agentGet(agent1, '/desktop')).text(), new RegExp(`href="/desktop/interactions/${chat.id}"`), 'and it leaves the list');
  t.equal(await presenceOf(agent1), 'not_ready', 'the agent stays Not Ready');
});

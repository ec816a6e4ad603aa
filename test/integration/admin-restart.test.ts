// Disabling an agent is saved, then applied. When the server stopped in between (or the change was made
// while none ran), the next start applies it: against the real server and its SQLite data folder.
import t from 'tap';
import { openStores } from '../../src/store/open-stores.ts';
import { ApiClient } from '../helpers/api-client.ts';
import { setPresence } from '../helpers/desktop-client.ts';
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

// The bound on chats waiting for an agent, against the real server: anyone may start a chat and one
// nobody accepts waits until its customer ends it, so past MAX_WAITING_CHATS (all services together)
// a new chat is refused with 503, Retry-After and {"error":{"code":"queue_full"}}, and nothing is made.
// A chat accepted or ended makes room again.
import t from 'tap';
import { ApiClient } from '../helpers/api-client.ts';
import { errorOf } from '../helpers/api-errors.ts';
import { agentPost, setPresence } from '../helpers/desktop-client.ts';
import { login, withServer } from '../helpers/fixtures.ts';

t.test('past MAX_WAITING_CHATS a new chat is refused, until one is accepted or ended', async (t) => {
  const server = await withServer(t, { env: { MAX_WAITING_CHATS: '2' } });
  const api = new ApiClient(server.url);
  const first = await api.createChat();
  const second = await api.createChat();
  const start = () => api.request('POST', '/api/v1/chats', { json: { service: 'roadside', name: 'Third', phone: '+15551234567' } });

  const refused = await start();
  t.equal(refused.status, 503, 'refused: the queue is full');
  t.equal(refused.headers.get('retry-after'), '60', 'with when to try again');
  const error = await errorOf(refused);
  t.equal(error?.code, 'queue_full');
  t.match(error?.message ?? '', /queue is full/, 'and a message the customer page shows');

  const agent = await login(server, 'agent1');
  await setPresence(agent, 'ready');
  t.equal((await agentPost(agent, `/desktop/interactions/${first.id}/accept`)).status, 200, 'the first chat is accepted');
  t.equal((await start()).status, 201, 'room again: an accepted chat no longer waits');
  t.equal((await start()).status, 503);
  t.equal((await api.end(second)).status, 200, 'a waiting customer leaves');
  t.equal((await start()).status, 201, 'room again');
});

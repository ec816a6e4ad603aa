// Reads of a chat's conversation are limited per chat, against the real server: each reads the chat
// whole, so a customer looping them could keep the server busy. GET /messages and opening an events
// socket (it replays the conversation) count alike; past the limit both are refused with 429 and
// Retry-After, and another chat reads on.
import t from 'tap';
import { ApiClient } from '../helpers/api-client.ts';
import { errorOf } from '../helpers/api-errors.ts';
import { withServer } from '../helpers/fixtures.ts';
import { HandshakeRefused, openSocket } from '../helpers/socket-probe.ts';

t.test('GET /messages and events sockets share a per-chat budget of reads', async (t) => {
  const server = await withServer(t, { env: { HISTORY_READS_PER_CHAT_PER_MINUTE: '3' } });
  const api = new ApiClient(server.url);
  const chat = await api.createChat();
  await api.say(chat, 'hello');
  const read = () => api.request('GET', `/api/v1/chats/${chat.id}/messages`, { token: chat.token });
  t.equal((await read()).status, 200);
  t.equal((await read()).status, 200);
  const socket = await openSocket(api.eventsUrl(chat.id, chat.token));
  socket.close();
  t.pass('an events socket is the third read');

  const refused = await read();
  t.equal(refused.status, 429, 'the fourth read is refused');
  t.ok(Number(refused.headers.get('retry-after')) > 0, 'with Retry-After');
  t.equal((await errorOf(refused))?.code, 'rate_limited');
  const handshake = await openSocket(api.eventsUrl(chat.id, chat.token)).then(
    (s) => (s.close(), 0),
    (err: unknown) => (err instanceof HandshakeRefused ? err.status : -1),
  );
  t.equal(handshake, 429, 'so is a socket');

  const other = await api.createChat();
  t.equal((await api.request('GET', `/api/v1/chats/${other.id}/messages`, { token: other.token })).status, 200, 'another chat reads on');
});

// A server whose mediasoup worker cannot start runs everything else: /healthz says the SFU is down and
// why, and a customer's video request is refused with a clear 503, nothing changed in the chat.
import t from 'tap';
import { ApiClient } from '../helpers/api-client.ts';
import { acceptedChat, login, withServer } from '../helpers/fixtures.ts';

t.test('no mediasoup worker: /healthz says the SFU is down, a video request is 503 video_unavailable', async (t) => {
  const server = await withServer(t, { env: { MEDIASOUP_WORKER_BIN: '/nonexistent/mediasoup-worker' } });
  const health = (await (await fetch(new URL('/healthz', server.url))).json()) as { status: string; sfu: { state: string } };
  t.match(health, { status: 'degraded', sfu: { state: 'down' } });
  const api = new ApiClient(server.url);
  const chat = await acceptedChat(t, api, await login(server, 'agent1'));
  const res = await api.request('POST', `/api/v1/chats/${chat.id}/video`, { token: chat.token });
  t.same([res.status, ((await res.json()) as { error: { code: string } }).error.code], [503, 'video_unavailable']);
  t.match(await api.chat(chat), { state: 'active' }, 'the chat goes on');
  t.equal(((await api.chat(chat)) as { video?: unknown }).video, null, 'with no video');
});

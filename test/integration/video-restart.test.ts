// A video running when the server is killed: its room in the SFU (a mediasoup worker of that process)
// is gone with it. The server started again says the video ended (lost media, ended by the system)
// instead of showing it running with nothing behind it, and the customer can ask for video again.
import t from 'tap';
import { ApiClient, type ChatHandle } from '../helpers/api-client.ts';
import { agentPost, setPresence } from '../helpers/desktop-client.ts';
import { acceptThenNotReady, login, withServer } from '../helpers/fixtures.ts';
import { customerSignal } from '../helpers/video-signal.ts';

// The chat's video as the customer's API shows it.
const videoOf = async (api: ApiClient, chat: ChatHandle) => ((await api.chat(chat)) as { video?: unknown }).video;

t.test('a video running when the server is killed has ended when it is back, and can be asked for again', async (t) => {
  const first = await withServer(t);
  const api = new ApiClient(first.url);
  // Not acceptedChat: its teardown would reach for the first server, which is gone.
  const agent = await login(first, 'agent1');
  await setPresence(agent, 'ready');
  const chat = await api.createChat();
  await acceptThenNotReady(agent, chat);
  t.equal((await api.request('POST', `/api/v1/chats/${chat.id}/video`, { token: chat.token })).status, 201, 'the customer asks for video');
  t.equal((await agentPost(agent, `/desktop/interactions/${chat.id}/video/allow`)).status, 200, 'the agent allows it');
  t.match(await videoOf(api, chat), { state: 'active' }, 'it runs');

  process.kill(first.pid, 'SIGKILL'); // no shutdown: the SFU's rooms go with the process
  await first.stop();
  const again = await withServer(t, { dataDir: first.dataDir });
  api.baseUrl = again.url;
  t.match(await videoOf(api, chat), { state: 'closed', ended_by: 'system' }, 'back: the video has ended, by the system');

  t.equal((await api.request('POST', `/api/v1/chats/${chat.id}/video`, { token: chat.token })).status, 201, 'asked for again');
  t.equal((await agentPost(await login(again, 'agent1'), `/desktop/interactions/${chat.id}/video/allow`)).status, 200, 'allowed again');
  const transport = await customerSignal(api, chat)({ op: 'create_transport' });
  console.error('SIGNAL', JSON.stringify(transport)); t.equal(transport.status, 200, 'and the new video has a room in the SFU');
});

// The customer's video transports against the real server and SFU: each binds ports, so a customer who
// makes and closes them in a loop is held back per chat (429 with Retry-After), and another chat is not.
import t from 'tap';
import type { ApiClient, ChatHandle } from '../helpers/api-client.ts';
import { agentPost, type Agent } from '../helpers/desktop-client.ts';
import { acceptedChat, withDesk } from '../helpers/fixtures.ts';

const TRANSPORTS_PER_MINUTE = 6;
const { api, agent1, agent2 } = await withDesk(t, { env: { VIDEO_TRANSPORTS_PER_CHAT_PER_MINUTE: String(TRANSPORTS_PER_MINUTE) } });

async function chatWithVideo(client: ApiClient, agent: Agent): Promise<ChatHandle> {
  const chat = await acceptedChat(t, client, agent);
  const asked = await client.request('POST', `/api/v1/chats/${chat.id}/video`, { token: chat.token });
  if (asked.status !== 201) throw new Error(`video request: ${asked.status}`);
  const allowed = await agentPost(agent, `/desktop/interactions/${chat.id}/video/allow`);
  if (allowed.status !== 200) throw new Error(`allow: ${allowed.status}`);
  return chat;
}

const signal = (chat: ChatHandle, body: Record<string, unknown>) => api.request('POST', `/api/v1/chats/${chat.id}/video/signal`, { token: chat.token, json: body });

t.test("a customer's transports made and closed in a loop: the next in the minute is 429, other operations and other chats go on", async (t) => {
  const looping = await chatWithVideo(api, agent1);
  for (let i = 0; i < TRANSPORTS_PER_MINUTE; i++) {
    const made = await signal(looping, { op: 'create_transport' });
    t.equal(made.status, 200, `transport ${i + 1} made`);
    const { id } = (await made.json()) as { id: string };
    t.equal((await signal(looping, { op: 'close_transport', transportId: id })).status, 200, 'and closed');
  }
  const refused = await signal(looping, { op: 'create_transport' });
  t.equal(refused.status, 429, 'the next one in the minute is refused');
  t.ok(Number(refused.headers.get('retry-after')) > 0, 'with Retry-After');
  t.equal(((await refused.json()) as { error: { code: string } }).error.code, 'rate_limited');
  t.equal((await signal(looping, { op: 'capabilities' })).status, 200, 'other operations go on');

  const other = await chatWithVideo(api, agent2);
  t.equal((await signal(other, { op: 'create_transport' })).status, 200, 'another chat makes its transport');
});

// The desktop's Allow and Decline for a customer's video request are drawn from the domain's guard table:
// off, with the reason next to them, when the viewer may not use them (a transfer on its way; the agent
// the chat is offered to, who does not handle it yet), and only an agent who may answer is told of the
// request (the page's browser notification reads the request's data-video-request).
import t from 'tap';
import { agentGet, agentPost, setPresence, type Agent } from '../helpers/desktop-client.ts';
import { acceptedChat, withDesk } from '../helpers/fixtures.ts';

const { api, agent1, agent2 } = await withDesk(t);

const panel = async (agent: Agent, id: string) => (await agentGet(agent, `/desktop/interactions/${id}`, { htmx: true })).text();
const button = (html: string, name: string) => new RegExp(`<button[^>]*>${name}</button>`).exec(html)?.[0] ?? '';

t.test('while a transfer is on its way, Allow is off with why; the target is not asked to answer', async (t) => {
  const chat = await acceptedChat(t, api, agent1);
  t.equal((await api.request('POST', `/api/v1/chats/${chat.id}/video`, { token: chat.token })).status, 201, 'the customer asks for video');
  const before = await panel(agent1, chat.id);
  t.notMatch(button(before, 'Allow'), /disabled/, 'Allow is on while nothing stands in its way');
  t.match(before, /data-video-request=/, 'the handling agent is told of the request');

  await setPresence(agent2, 'ready');
  t.teardown(() => setPresence(agent2, 'not_ready'));
  const offered = await agentPost(agent1, `/desktop/interactions/${chat.id}/transfer`, { to: 'agent:agent2' });
  t.equal(offered.status, 200, 'agent1 offers the chat to agent2');
  await offered.text();

  const during = await panel(agent1, chat.id);
  t.match(button(during, 'Allow'), /disabled/, 'Allow is off during the transfer');
  t.match(during, /id="video-reason-[^"]+">A transfer is already in progress in this chat\./, 'with the reason next to it');
  t.notMatch(button(during, 'Decline'), /disabled/, 'Decline stays on: the handling agent may still say no');
  const number = /<button class="phone"[^>]*>/.exec(during)?.[0] ?? '';
  t.match(number, /aria-disabled="true" title="A transfer is already in progress in this chat\."/, "the customer's number is off too, saying why");
  t.notMatch(number, /hx-post/, 'and a click on it sends nothing');
  const allowed = await agentPost(agent1, `/desktop/interactions/${chat.id}/video/allow`);
  t.equal(allowed.status, 409, 'as the server says');
  await allowed.text();

  const target = await panel(agent2, chat.id);
  t.match(button(target, 'Allow'), /disabled/, "the target's Allow is off");
  t.match(button(target, 'Decline'), /disabled/, "and its Decline");
  t.notMatch(target, /data-video-request=/, 'the target is not notified of a request it cannot answer');

  const cancelled = await agentPost(agent1, `/desktop/interactions/${chat.id}/cancel-transfer`);
  t.equal(cancelled.status, 200);
  await cancelled.text();
  t.notMatch(button(await panel(agent1, chat.id), 'Allow'), /disabled/, 'Allow is on again once the transfer is cancelled');
});

// An agent nobody is at is offered nothing: an admin resets a Ready agent's password, which ends every
// session of theirs, and the next chat waits in the queue instead of ringing out on their desktop.
import t from 'tap';
import { ApiClient } from '../helpers/api-client.ts';
import { agentPost, setPresence } from '../helpers/desktop-client.ts';
import { login, withServer } from '../helpers/fixtures.ts';

t.test("a Ready agent whose password an admin resets is Not Ready: the next chat is not offered to them", async (t) => {
  const server = await withServer(t);
  const admin = await login(server, 'agent1');
  const agent2 = await login(server, 'agent2');
  await setPresence(agent2, 'ready');
  const reset = await agentPost(admin, '/admin/agents/agent2/reset-password');
  t.equal(reset.status, 200, 'the admin resets the password');
  await reset.text();
  const api = new ApiClient(server.url);
  const chat = await api.createChat();
  t.match(await api.chat(chat), { state: 'queued' }, 'the chat waits: agent2 is logged in nowhere');
});

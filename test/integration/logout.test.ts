// Log out in one tab: the agent's other tab of the same browser (the same session) stops hearing the
// desktop's pushes at once, told that its session ended (it goes to the login), and the session opens
// nothing any more.
import t from 'tap';
import { agentGet, agentPost, desktopSocketUrl } from '../helpers/desktop-client.ts';
import { login, submitLogin, withServer } from '../helpers/fixtures.ts';
import { openSocket } from '../helpers/socket-probe.ts';

t.test("logging out closes the session's desktop socket in the other tab with 'session ended'", async (t) => {
  const server = await withServer(t);
  const agent = await login(server, 'agent1');
  const otherTab = await openSocket(desktopSocketUrl(server.url), { headers: { cookie: agent.cookie, origin: server.url } });
  const closed = new Promise<number>((resolve) => otherTab.ws.once('close', (code) => resolve(code)));
  const out = await agentPost(agent, '/logout');
  t.equal(out.status, 303, 'logged out');
  t.equal(await closed, 4401, 'the other tab hears its session ended');
  t.equal((await agentGet(agent, '/desktop')).status, 303, 'the session opens nothing');
});

// A shared PC: agent2 logs in on the browser agent1 is logged in on. agent1's session ends (its tabs
// go to the login), rather than staying Ready and offered chats that its tabs can no longer answer.
t.test("logging in on a browser that holds another agent's session ends that session", async (t) => {
  const server = await withServer(t);
  const first = await login(server, 'agent1');
  const firstTab = await openSocket(desktopSocketUrl(server.url), { headers: { cookie: first.cookie, origin: server.url } });
  const closed = new Promise<number>((resolve) => firstTab.ws.once('close', (code) => resolve(code)));
  const second = await submitLogin(server, 'agent2', 'demo', { cookie: first.cookie });
  t.equal(second.status, 303, 'agent2 is logged in');
  t.equal(await closed, 4401, "agent1's tab hears its session ended");
  t.equal((await agentGet(first, '/desktop')).status, 303, "agent1's session opens nothing");
});

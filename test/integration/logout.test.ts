// Log out in one tab: the agent's other tab of the same browser (the same session) stops hearing the
// desktop's pushes at once, told that its session ended (it goes to the login), and the session opens
// nothing any more.
import t from 'tap';
import { agentGet, agentPost, desktopSocketUrl } from '../helpers/desktop-client.ts';
import { login, withServer } from '../helpers/fixtures.ts';
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

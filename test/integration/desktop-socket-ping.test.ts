// An agent's desktop socket whose peer stopped answering (a laptop gone from the network, no FIN) is
// cut after a ping goes unanswered, so it lets go of what it held; one that answers stays open.
import t from 'tap';
import { desktopSocketUrl } from '../helpers/desktop-client.ts';
import { eventually, sleep } from '../helpers/eventually.ts';
import { login, withServer } from '../helpers/fixtures.ts';
import { openSocket } from '../helpers/socket-probe.ts';

t.test("a desktop socket that answers no ping is cut; one that answers stays", async (t) => {
  const server = await withServer(t, { env: { DESKTOP_SOCKET_PING_S: '1' } });
  const agent = await login(server, 'agent1');
  const headers = { cookie: agent.cookie, origin: server.url };
  const silent = await openSocket(desktopSocketUrl(server.url), { headers, autoPong: false });
  const answering = await openSocket(desktopSocketUrl(server.url), { headers });
  t.teardown(() => Promise.all([silent.close(), answering.close()]));
  await eventually('the silent socket cut', () => (silent.ws.readyState === silent.ws.CLOSED ? true : undefined), 5000);
  await sleep(2500);
  t.equal(answering.ws.readyState, answering.ws.OPEN, 'the one that answers its pings is open');
});

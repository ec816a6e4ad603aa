// Sessions across a cluster: a logout on one node ends the session's sockets on another, even after that
// node's LISTEN connection to PostgreSQL was cut and came back (it holds the socket's session still).
import pg from 'pg';
import t from 'tap';
import { leaderAndFollower, withCluster } from '../helpers/cluster.ts';
import { agentPost, desktopSocketUrl } from '../helpers/desktop-client.ts';
import { eventually, sleep } from '../helpers/eventually.ts';
import { login } from '../helpers/fixtures.ts';
import { openSocket } from '../helpers/socket-probe.ts';

t.test("a logout on node A closes the desktop's socket on node B after B's LISTEN connection came back", async (t) => {
  const cluster = await withCluster(t);
  const { a, b } = await leaderAndFollower(cluster);
  const agent = await login(a, 'agent1');
  const desk = await openSocket(desktopSocketUrl(b.url), { headers: { cookie: agent.cookie, origin: b.url } });
  t.teardown(() => desk.close());
  const closed = new Promise<number>((resolve) => desk.ws.once('close', (code) => resolve(code)));

  // PostgreSQL cuts B's LISTEN connection (a failover of the database, a network blip); B listens again.
  const admin = new pg.Client({ connectionString: cluster.databaseUrl });
  await admin.connect();
  t.teardown(() => admin.end());
  const listener = async () => (await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = 'mcc-listen:node-b' AND query LIKE 'LISTEN%'")).rows[0]?.pid;
  const before = await eventually('B listening', listener);
  await admin.query('SELECT pg_terminate_backend($1)', [before]);
  await eventually('B listening again', async () => {
    const pid = await listener();
    return pid !== undefined && pid !== before ? pid : undefined;
  }, 10_000);
  await sleep(300); // its catch-up runs as the LISTEN is answered

  t.equal((await agentPost({ ...agent, baseUrl: a.url }, '/logout')).status, 303, 'logged out on A');
  const code = await Promise.race([closed, sleep(5000).then(() => 'still open')]);
  t.equal(code, 4401, "B closed the logged-out session's socket, telling the page to log in again");
});

// A leader stopped the planned way (SIGTERM: a rolling upgrade) while a follower's command link is open
// to it: it lets go of ARI, then the cluster (its lock), then the database, and exits; the follower leads.
import t from 'tap';
import { untilRole, withCluster } from '../helpers/cluster.ts';
import { setPresence } from '../helpers/desktop-client.ts';
import { login } from '../helpers/fixtures.ts';
import { logEntries } from '../helpers/server.ts';

t.test('a leader stopped with SIGTERM while a follower is linked to it stops the whole way; the follower leads', async (t) => {
  const cluster = await withCluster(t);
  const a = await cluster.startNode('node-a');
  await untilRole(a, 'leader');
  const b = await cluster.startNode('node-b');
  await untilRole(b, 'follower');
  // Presence is the leader's: set through the follower, it opens the follower's link to the leader.
  await setPresence({ ...(await login(b, 'agent1')), baseUrl: b.url }, 'ready');

  await a.stop();
  t.equal(logEntries(a, 'stopped').length, 1, 'the leader went through its whole stop, not the fallback exit of a stop that hangs');
  await untilRole(b, 'leader', 20_000);
  t.pass('the follower leads');
});

// The followers' command link to the leader. A leader stopped the planned way (SIGTERM: a rolling
// upgrade) while a follower's link is open to it lets go of ARI, then the cluster (its lock), then the
// database, and exits; the follower leads. A leader that stops answering without closing anything (a
// frozen host; here SIGSTOP) makes the follower's commands fail as unavailable, not hang.
import t from 'tap';
import { leaderAndFollower, untilRole, withCluster } from '../helpers/cluster.ts';
import { agentPost, setPresence } from '../helpers/desktop-client.ts';
import { login } from '../helpers/fixtures.ts';
import { logEntries } from '../helpers/server.ts';

t.test('a leader stopped with SIGTERM while a follower is linked to it stops the whole way; the follower leads', async (t) => {
  const cluster = await withCluster(t);
  const { a, b } = await leaderAndFollower(cluster);
  // Presence is the leader's: set through the follower, it opens the follower's link to the leader.
  await setPresence({ ...(await login(b, 'agent1')), baseUrl: b.url }, 'ready');

  await a.stop();
  t.equal(logEntries(a, 'stopped').length, 1, 'the leader went through its whole stop, not the fallback exit of a stop that hangs');
  await untilRole(b, 'leader', 20_000);
  t.pass('the follower leads');
});

t.test("a frozen leader: the follower's commands are answered 503, not left hanging on the silent link", async (t) => {
  const cluster = await withCluster(t);
  const { a, b } = await leaderAndFollower(cluster);
  const agent = { ...(await login(b, 'agent1')), baseUrl: b.url };
  await setPresence(agent, 'ready'); // the link is open

  process.kill(a.pid, 'SIGSTOP');
  t.teardown(() => void process.kill(a.pid, 'SIGCONT'));
  // Bounded only so that a hang fails the test instead of stalling it.
  const res = await agentPost(agent, '/desktop/presence', { presence: 'not_ready' }, { signal: AbortSignal.timeout(25_000) }).catch((err: unknown) => err as Error);
  t.equal(res instanceof Error ? res.name : res.status, 503, 'answered as unavailable: the link to the frozen leader was cut');
  process.kill(a.pid, 'SIGCONT');
});

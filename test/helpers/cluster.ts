// Real nodes of one cluster for the tests: a private PostgreSQL, then `npm start` processes with its
// DATABASE_URL, each on a port it binds itself, and what their /healthz says of the cluster.
import type { Test } from 'tap';
import { eventually } from './eventually.ts';
import { startPostgres } from './postgres.ts';
import { printLogIfFailed, startServer, type TestServer } from './server.ts';

export interface ClusterHealth {
  node: string;
  role: 'leader' | 'follower';
  nodes: number;
}

export interface TestCluster {
  databaseUrl: string;
  startNode(name: string, env?: Record<string, string>): Promise<TestServer>;
}

export async function withCluster(t: Test): Promise<TestCluster> {
  const postgres = await startPostgres();
  t.teardown(() => postgres.stop());
  const databaseUrl = await postgres.newDatabase();
  return {
    databaseUrl,
    async startNode(name, env = {}) {
      // Each node binds a port of its own choosing (PORT=0) and registers the one it got: a port
      // picked free beforehand may be taken by the other test file's connections before the node binds it.
      const server = await startServer({ env: { DATABASE_URL: databaseUrl, NODE_ID: name, ...env } });
      t.teardown(() => (printLogIfFailed(t, server, name), server.stop()));
      return server;
    },
  };
}

export async function clusterHealth(server: Pick<TestServer, 'url'>): Promise<ClusterHealth> {
  const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(2000) });
  return ((await res.json()) as { cluster: ClusterHealth }).cluster;
}

export function untilRole(server: Pick<TestServer, 'url'>, role: ClusterHealth['role'], timeoutMs = 10_000): Promise<ClusterHealth> {
  return eventually(`${server.url} to be ${role}`, async () => {
    const health = await clusterHealth(server);
    return health.role === role ? health : undefined;
  }, timeoutMs);
}

// Node A leading, then node B following.
export async function leaderAndFollower(cluster: TestCluster, env: Record<string, string> = {}): Promise<{ a: TestServer; b: TestServer }> {
  const a = await cluster.startNode('node-a', env);
  await untilRole(a, 'leader');
  const b = await cluster.startNode('node-b', env);
  await untilRole(b, 'follower');
  return { a, b };
}

// Node A leading and holding ARI (TELEPHONY=external in `env`), then node B following.
export async function leaderOnAriAndFollower(cluster: TestCluster, env: Record<string, string>): Promise<{ a: TestServer; b: TestServer }> {
  const a = await cluster.startNode('node-a', env);
  await untilRole(a, 'leader');
  await eventually('node A on ARI', async () => ((await (await fetch(`${a.url}/healthz`)).json()) as { ari: { state: string } }).ari.state === 'up' || undefined, 20_000);
  const b = await cluster.startNode('node-b', env);
  await untilRole(b, 'follower');
  return { a, b };
}

// bench:chat --cluster: a private PostgreSQL and two real nodes of one cluster on this machine (node A
// started first, so it leads; node B follows), against one node on SQLite set up beside them, measured
// in interleaved rounds. The cluster is measured both ways round: customers on the leader and agents on
// the follower (the customers' sends run on the leader where they arrive; the agents' node reads them
// by seq after NOTIFY), and customers on the follower and agents on the leader (every send is forwarded
// over /internal/cluster first). Durable throughput counts the acks the customers' sockets receive
// (each sent only after its COMMIT); latency is from the send to the agent's socket receiving it.
import { performance } from 'node:perf_hooks';
import { untilRole } from '../test/helpers/cluster.ts';
import { freePort, startPostgres } from '../test/helpers/postgres.ts';
import { removeDir, startServer, type TestServer } from '../test/helpers/server.ts';
import { ackCounter, benchEnv, createChats, openSockets, type Chats, type Sockets } from './chat-setup.ts';
import { pool, runLoad, runPaced, type LoadResult } from './load.ts';

export interface ClusterBenchOptions {
  chats: number;
  seconds: number;
  cycles: number;
  window: number;
  rate: number;
  text: string;
  // Where the nodes write a V8 CPU profile each (node --cpu-prof), if given.
  profileDir?: string | undefined;
}

type Arrangement = 'sqlite' | 'leader' | 'follower';
const LABEL: Record<Arrangement, string> = {
  sqlite: 'one node, SQLite',
  leader: 'cluster: customers on A (leader), agents on B',
  follower: 'cluster: customers on B (follower), agents on A',
};
const TARGET = { throughput: 5000, p99: 250 };

interface Measured extends LoadResult {
  acks: number;
  acksPerSecond: number;
}

const loadAverage = async () => (await import('node:os')).loadavg().map((n) => n.toFixed(2)).join(' ');

export async function benchCluster(o: ClusterBenchOptions): Promise<void> {
  const startedLoad = await loadAverage();
  const postgres = await startPostgres();
  const nodes: TestServer[] = [];
  let current: Sockets | undefined;
  try {
    const databaseUrl = await postgres.newDatabase();
    const profile: Record<string, string> = o.profileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${o.profileDir}` } : {};
    // PORT is fixed up front: a node tells the others its internal URL from it.
    const node = async (name: string) =>
      startServer({ env: { ...benchEnv(o.chats), ...profile, DATABASE_URL: databaseUrl, NODE_ID: name, PORT: String(await freePort()) } });
    const a = await node('node-a');
    nodes.push(a);
    await untilRole(a, 'leader');
    const b = await node('node-b');
    nodes.push(b);
    await untilRole(b, 'follower');
    const single = await startServer({ env: benchEnv(o.chats) });
    nodes.push(single);

    // One set of chats per system; the cluster's made on the leader, accepted through the follower.
    const sqliteChats = await createChats(single.url, single.url, o.chats);
    const clusterChats = await createChats(a.url, b.url, o.chats);
    const where: Record<Arrangement, { state: Chats; customers: string; agents: string }> = {
      sqlite: { state: sqliteChats, customers: single.url, agents: single.url },
      leader: { state: clusterChats, customers: a.url, agents: b.url },
      follower: { state: clusterChats, customers: b.url, agents: a.url },
    };
    // The SQLite node keeps its sockets; the cluster's are opened again on the other nodes when the
    // arrangement changes (sockets on both would make both nodes render every message).
    const sqliteSockets = await openSockets(sqliteChats, single.url, single.url);
    let clusterAt: Arrangement | undefined;
    const sockets = async (which: Arrangement): Promise<Sockets> => {
      if (which === 'sqlite') return sqliteSockets;
      if (clusterAt !== which) {
        current?.close();
        current = await openSockets(where[which].state, where[which].customers, where[which].agents);
        clusterAt = which;
      }
      return current!;
    };

    let tag = 0;
    const round = async (which: Arrangement, seconds: number, paced: boolean): Promise<Measured> => {
      const { customers, agents } = await sockets(which);
      const r = ++tag;
      const frame = (chat: number, n: number) => JSON.stringify({ type: 'message', text: `bm:${chat}:${n}${o.text}`, client_id: `cl${r}-c${chat}-${n}` });
      const load = { customers, agents, seconds, frame };
      const started = performance.now();
      const acks = ackCounter(customers);
      const result = await (paced ? runPaced({ ...load, rate: o.rate }) : runLoad({ ...load, window: o.window }));
      // Paced, every message sent is waited for (as runPaced waits for the agents' copies), up to 10 s;
      // the closed loop counts what was acknowledged within the round.
      for (let waited = 0; paced && acks.count < result.sent && waited < 10_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
      const elapsed = (performance.now() - started) / 1000;
      acks.stop();
      await new Promise((resolve) => setTimeout(resolve, 1500)); // what is still in flight drains before the next round
      return { ...result, acks: acks.count, acksPerSecond: acks.count / elapsed };
    };

    // Untimed rounds first: every node's code is compiled by then.
    for (const which of ['sqlite', 'leader', 'follower'] as const) await round(which, 2, false);
    const rounds: Record<Arrangement, Measured[]> = { sqlite: [], leader: [], follower: [] };
    const paced: Record<Arrangement, Measured[]> = { sqlite: [], leader: [], follower: [] };
    const order: string[] = [];
    const cycles: Arrangement[][] = [
      ['sqlite', 'leader', 'follower', 'sqlite'],
      ['sqlite', 'follower', 'leader', 'sqlite'],
    ];
    for (let cycle = 0; cycle < o.cycles; cycle++) {
      for (const which of cycles[cycle % 2]!) {
        rounds[which].push(await round(which, o.seconds, false));
        order.push(`${which} ${rounds[which].length}`);
      }
    }
    // Latency at the target's rate, open loop: at the limit the closed loop's latencies only restate
    // its throughput (messages in flight / messages a second).
    for (const which of ['sqlite', 'leader', 'follower', 'sqlite'] as const) paced[which].push(await round(which, o.seconds, true));
    report(o, rounds, paced, order, startedLoad, await loadAverage());
  } finally {
    current?.close();
    for (const n of nodes.reverse()) {
      await n.stop();
      await removeDir(n.dataDir);
    }
    await postgres.stop();
  }
}

function pooled(rounds: Measured[]): Measured {
  const all = pool(rounds);
  const acks = rounds.reduce((n, r) => n + r.acks, 0);
  const seconds = rounds.reduce((n, r) => n + r.acks / r.acksPerSecond, 0);
  return { ...all, acks, acksPerSecond: acks / seconds };
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

function report(o: ClusterBenchOptions, rounds: Record<Arrangement, Measured[]>, paced: Record<Arrangement, Measured[]>, order: string[], before: string, after: string) {
  const row = (r: Measured) => ({ 'durable msg/s': fmt(r.acksPerSecond, 0), 'delivered msg/s': fmt(r.throughput, 0), 'p50 ms': fmt(r.p50), 'p99 ms': fmt(r.p99), acked: r.acks });
  console.log(`bench:chat --cluster — ${o.chats} chats, ${o.window} in flight per chat, ${o.cycles} cycles of ${o.seconds} s rounds; load average before ${before}, after ${after}`);
  const rows: Record<string, ReturnType<typeof row>> = {};
  for (const name of order) {
    const [which, n] = name.split(' ') as [Arrangement, string];
    rows[`${which} round ${n}`] = row(rounds[which][Number(n) - 1]!);
  }
  const closed = { sqlite: pooled(rounds.sqlite), leader: pooled(rounds.leader), follower: pooled(rounds.follower) };
  const open = { sqlite: pooled(paced.sqlite), leader: pooled(paced.leader), follower: pooled(paced.follower) };
  for (const which of ['sqlite', 'leader', 'follower'] as const) rows[`${LABEL[which]}, all rounds`] = row(closed[which]);
  for (const which of ['sqlite', 'leader', 'follower'] as const) rows[`${LABEL[which]}, at ${o.rate} msg/s`] = row(open[which]);
  console.table(rows);
  for (const which of ['leader', 'follower'] as const) {
    const tp = closed[which].acksPerSecond;
    const p99 = open[which].p99;
    const met = (ok: boolean) => (ok ? 'met' : 'MISSED');
    console.log(
      `${LABEL[which]}: ${fmt(tp, 0)} durable msg/s (target >= ${TARGET.throughput}: ${met(tp >= TARGET.throughput)}), ` +
        `p99 ${fmt(p99)} ms at ${o.rate} msg/s (target < ${TARGET.p99} ms: ${met(p99 < TARGET.p99 && open[which].delivered === open[which].sent)}; of ${open[which].sent} sent, ${open[which].acks} acknowledged, ${open[which].delivered} delivered); ` +
        `single node on SQLite in the same run: ${fmt(closed.sqlite.acksPerSecond, 0)} durable msg/s, p99 ${fmt(open.sqlite.p99)} ms at ${o.rate} msg/s`,
    );
  }
}

// bench:chat — N concurrent customer chats sending messages through the real server (stored durably,
// then pushed as HTML fragments to the agents' desktop sockets), against a bare `ws` relay measured in
// the same run, and, at the target rate, against the durable floor (durable-relay.ts: that relay storing
// each message through the product's writer, nothing else).
// Usage: npm run bench:chat [-- --chats 1000 --seconds 6 --cycles 2 --window 2 --rate 10000]
// With --cluster: two nodes on PostgreSQL against one node on SQLite instead (chat-cluster.ts; --rate
// defaults to 5000 there). --profile DIR: the server (each node) writes a V8 CPU profile there.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import type { WebSocket } from 'ws';
import { removeDir, startServer, type TestServer } from '../test/helpers/server.ts';
import { benchEnv, createChats, inBatches, open, openSockets } from './chat-setup.ts';
import { pool, runLoad, runPaced, type LoadResult } from './load.ts';

const { values } = parseArgs({
  options: {
    chats: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '6' },
    cycles: { type: 'string', default: '2' },
    window: { type: 'string', default: '2' },
    rate: { type: 'string' },
    profile: { type: 'string' },
    cluster: { type: 'boolean', default: false },
  },
});
const CHATS = Number(values.chats);
const SECONDS = Number(values.seconds);
const CYCLES = Number(values.cycles);
const WINDOW = Number(values.window);
// The cluster's target is 5,000 messages a second; one node's is 10,000.
const RATE = Number(values.rate ?? (values.cluster ? 5000 : 10000));
const TEXT = ' — my car broke down on the highway near exit 12, the engine light is on and it will not restart.';

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

function samplePeakRss(pid: number): { stop(): number } {
  let peak = rssMb(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 250);
  return { stop: () => (clearInterval(timer), Math.max(peak, rssMb(pid))) };
}

interface Setup {
  customers: WebSocket[];
  agents: WebSocket[];
  close(): Promise<void>;
}

// Client ids are new in every round: a repeated one would be answered as a retry, not stored again.
let rounds = 0;
// `paced`: RATE messages a second in all (open loop); otherwise as many as acknowledged (closed loop).
async function round(setup: Setup, seconds = SECONDS, paced = false): Promise<LoadResult> {
  const tag = ++rounds;
  const frame = (chat: number, n: number) => JSON.stringify({ type: 'message', text: `bm:${chat}:${n}${TEXT}`, client_id: `r${tag}-c${chat}-${n}` });
  const load = { customers: setup.customers, agents: setup.agents, seconds, frame };
  const result = await (paced ? runPaced({ ...load, rate: RATE }) : runLoad({ ...load, window: WINDOW }));
  await new Promise((resolve) => setTimeout(resolve, 1500)); // what is still in flight drains before the next round
  return result;
}

// The real server with CHATS chats, each accepted by agent1 or agent2, whose desktop sockets follow them.
async function setUpProduct(): Promise<Setup & { server: TestServer; firstLoadKb: number }> {
  const profile = values.profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] } : {};
  const server = await startServer({ env: benchEnv(CHATS), ...profile });
  const state = await createChats(server.url, server.url, CHATS);
  const firstLoadKb = await desktopFirstLoad(server, state.agents[0]!.cookie);
  const sockets = await openSockets(state, server.url, server.url);
  return {
    ...sockets,
    server,
    firstLoadKb,
    async close() {
      sockets.close();
      await server.stop();
      await removeDir(server.dataDir);
    },
  };
}

// The bare relay (baseline-relay.ts), or the durable floor (durable-relay.ts: the relay storing each
// message through the product's writer), in its own process, with the same number of customer sockets.
async function setUpBaseline(script = './baseline-relay.ts'): Promise<Setup> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', new URL(script, import.meta.url).pathname], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) =>
    child.stdout.once('data', (chunk: Buffer) => resolve((JSON.parse(String(chunk).split('\n')[0]!) as { port: number }).port)),
  );
  const base = `ws://127.0.0.1:${port}`;
  const agents = await Promise.all([0, 1].map((k) => open(`${base}/a?agent=${k}`)));
  const customers = await inBatches(CHATS, 100, (i) => open(`${base}/c?chat=${i}&agent=${i % 2}`));
  return {
    customers,
    agents,
    async close() {
      for (const ws of [...customers, ...agents]) ws.terminate();
      child.kill('SIGTERM');
    },
  };
}

// Bytes on the wire (gzip) of the JS and CSS the agent desktop loads before any chat is opened.
async function desktopFirstLoad(server: TestServer, cookie: string): Promise<number> {
  const html = (await gzipGet(server.url + '/desktop', cookie)).body;
  const assets = [...html.matchAll(/<(?:script[^>]+src|link[^>]+href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
  let bytes = 0;
  for (const asset of assets) bytes += (await gzipGet(server.url + asset, cookie)).wireBytes;
  return bytes / 1024;
}

function gzipGet(url: string, cookie: string): Promise<{ wireBytes: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { 'accept-encoding': 'gzip', cookie } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', async () => {
        const raw = Buffer.concat(chunks);
        const { gunzipSync } = await import('node:zlib');
        const body = res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString() : raw.toString();
        resolve({ wireBytes: raw.length, body });
      });
    })
      .on('error', reject)
      .end();
  });
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

if (values.cluster) {
  const { benchCluster } = await import('./chat-cluster.ts');
  await benchCluster({ chats: CHATS, seconds: SECONDS, cycles: CYCLES, window: WINDOW, rate: RATE, text: TEXT, profileDir: values.profile });
} else await singleNode();

async function singleNode(): Promise<void> {
  // Both set up side by side, then measured in alternation (baseline, product, product, baseline, and
  // again for each cycle), so a slower or faster stretch of this shared machine weighs on both alike:
  // its speed drifts by 15% or more within a minute, more than one long round per system can average out.
  const relay = await setUpBaseline();
  const floor = await setUpBaseline('./durable-relay.ts');
  const product = await setUpProduct();
  const baselineRounds: LoadResult[] = [];
  const productRounds: LoadResult[] = [];
  const pacedBaseline: LoadResult[] = [];
  const pacedProduct: LoadResult[] = [];
  const pacedFloor: LoadResult[] = [];
  const order: Array<'baseline' | 'product'> = [];
  let peakRss = 0;
  try {
    // An untimed round each first: the load generator's code and both servers' are compiled by then.
    await round(relay, 2);
    await round(floor, 2);
    await round(product, 2);
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      for (const which of ['baseline', 'product', 'product', 'baseline'] as const) {
        order.push(which);
        if (which === 'baseline') {
          baselineRounds.push(await round(relay));
          continue;
        }
        const rss = samplePeakRss(product.server.pid);
        productRounds.push(await round(product));
        peakRss = Math.max(peakRss, rss.stop());
      }
    }
    // Latency under the target load, in the same alternation: at their limits the closed loop's latencies
    // only restate the throughput (Little's law: messages in flight / messages a second). The durable
    // floor is measured here too: how much of the product's latency storing alone costs on this machine.
    for (const which of ['baseline', 'floor', 'product', 'product', 'floor', 'baseline'] as const) {
      if (which === 'baseline') pacedBaseline.push(await round(relay, SECONDS, true));
      else if (which === 'floor') pacedFloor.push(await round(floor, SECONDS, true));
      else pacedProduct.push(await round(product, SECONDS, true));
    }
  } finally {
    await product.close();
    await floor.close();
    await relay.close();
  }
  const baseline = pool(baselineRounds);
  const measured = pool(productRounds);
  const tp = measured.throughput / baseline.throughput;
  const p99 = measured.p99 / baseline.p99;
  const row = (r: LoadResult) => ({ 'msg/s': fmt(r.throughput, 0), 'p50 ms': fmt(r.p50), 'p99 ms': fmt(r.p99), delivered: r.delivered });
  console.log(`bench:chat — ${CHATS} chats, ${WINDOW} in flight per chat, ${CYCLES} cycles of rounds of ${SECONDS} s in the order baseline, product, product, baseline`);
  const rows: Record<string, ReturnType<typeof row>> = {};
  const counters = { baseline: 0, product: 0 };
  for (const which of order) {
    const n = counters[which]++;
    rows[`${which} round ${n + 1}`] = row((which === 'baseline' ? baselineRounds : productRounds)[n]!);
  }
  rows['bare ws relay (baseline), all rounds'] = row(baseline);
  rows['product (stored, rendered), all rounds'] = row(measured);
  const pacedRelay = pool(pacedBaseline);
  const pacedMeasured = pool(pacedProduct);
  const pacedDurable = pool(pacedFloor);
  rows[`bare ws relay at ${RATE} msg/s`] = row(pacedRelay);
  rows[`durable floor at ${RATE} msg/s`] = row(pacedDurable);
  rows[`product at ${RATE} msg/s`] = row(pacedMeasured);
  console.table(rows);
  console.log(`throughput: product ${fmt(measured.throughput, 0)} msg/s (target >= 10000), ${fmt(tp, 2)}x the relay; at the limit p99 ${fmt(p99, 2)}x the relay's`);
  console.log(
    `latency at ${RATE} msg/s: product p99 ${fmt(pacedMeasured.p99)} ms, relay ${fmt(pacedRelay.p99)} ms: ${fmt(pacedMeasured.p99 / pacedRelay.p99, 2)}x (target <= 2x); delivered ${pacedMeasured.delivered} of ${pacedMeasured.sent} sent`,
  );
  console.log(
    `durable floor (the relay storing each message through the same writer, nothing else) at ${RATE} msg/s: p99 ${fmt(pacedDurable.p99)} ms, ${fmt(pacedDurable.p99 / pacedRelay.p99, 2)}x the relay's; the product's p99 is ${fmt(pacedMeasured.p99 / pacedDurable.p99, 2)}x the floor's`,
  );
  console.log(`server peak RSS ${fmt(peakRss, 0)} MB at ${CHATS} chats (target < 300 MB)`);
  console.log(`agent desktop first load, gzip JS+CSS: ${fmt(product.firstLoadKb)} KB (target <= 60 KB)`);
}

import { performance } from 'node:perf_hooks';
import type { WebSocket } from 'ws';

export interface LoadResult {
  sent: number;
  delivered: number;
  seconds: number;
  throughput: number;
  p50: number;
  p99: number;
  // Every delivery's latency in ms, sorted: rounds can be pooled.
  latencies: number[];
}

// Several rounds of the same system as one: deliveries over time, percentiles over all latencies.
export function pool(rounds: LoadResult[]): LoadResult {
  const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const sent = rounds.reduce((n, r) => n + r.sent, 0);
  const delivered = rounds.reduce((n, r) => n + r.delivered, 0);
  const seconds = rounds.reduce((n, r) => n + r.seconds, 0);
  return { sent, delivered, seconds, throughput: delivered / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), latencies };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

const TOKEN = /bm:(\d+):(\d+)/g;

interface LoadOptions {
  customers: WebSocket[];
  agents: WebSocket[];
  seconds: number;
  frame: (chat: number, n: number) => string;
}

// Sends frames, and times each one until an agent's socket receives it. `onDelivered` hears which chat's
// message arrived (the closed loop sends that chat's next one).
function tracker(opts: LoadOptions, onDelivered: (chat: number) => void) {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const next = new Array<number>(opts.customers.length).fill(0);
  let delivered = 0;
  const send = (chat: number) => {
    const n = next[chat]!++;
    sentAt.set(`${chat}:${n}`, performance.now());
    opts.customers[chat]!.send(opts.frame(chat, n));
  };
  const onAgentFrame = (data: unknown) => {
    const now = performance.now();
    for (const match of String(data).matchAll(TOKEN)) {
      const key = `${match[1]}:${match[2]}`;
      const at = sentAt.get(key);
      if (at === undefined) continue;
      sentAt.delete(key);
      latencies.push(now - at);
      delivered += 1;
      onDelivered(Number(match[1]));
    }
  };
  for (const agent of opts.agents) agent.on('message', onAgentFrame);
  const start = performance.now();
  return {
    send,
    inFlight: () => sentAt.size,
    finish(): LoadResult {
      const seconds = (performance.now() - start) / 1000;
      for (const agent of opts.agents) agent.off('message', onAgentFrame);
      latencies.sort((a, b) => a - b);
      const sent = next.reduce((n, k) => n + k, 0);
      return { sent, delivered, seconds, throughput: delivered / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), latencies };
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The same closed-loop load for both systems: every customer keeps `window` messages in flight, a
// message counting as delivered when its agent's socket receives it. It finds the most each system
// delivers; its latencies are those of a system run at its limit. Bounded by `seconds`.
export async function runLoad(opts: LoadOptions & { window: number }): Promise<LoadResult> {
  let running = true;
  const load = tracker(opts, (chat) => running && load.send(chat));
  for (let chat = 0; chat < opts.customers.length; chat++) for (let i = 0; i < opts.window; i++) load.send(chat);
  await sleep(opts.seconds * 1000);
  running = false;
  return load.finish();
}

// The same open-loop load for both systems: `rate` messages a second in all, the chats taking turns,
// whatever comes back. The latencies are those of a system under that load, not at its limit.
export async function runPaced(opts: LoadOptions & { rate: number }): Promise<LoadResult> {
  const load = tracker(opts, () => undefined);
  const tickMs = 10;
  const start = performance.now();
  let sent = 0;
  let chat = 0;
  while (performance.now() - start < opts.seconds * 1000) {
    const due = Math.floor(((performance.now() - start) / 1000) * opts.rate);
    for (; sent < due; sent++) {
      load.send(chat);
      chat = (chat + 1) % opts.customers.length;
    }
    await sleep(tickMs);
  }
  // The last ones sent arrive too (up to 10 s): a message still missing then is not counted as delivered.
  for (let waited = 0; load.inFlight() > 0 && waited < 10_000; waited += tickMs) await sleep(tickMs);
  return load.finish();
}

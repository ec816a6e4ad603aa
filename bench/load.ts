import { performance } from 'node:perf_hooks';
import type { WebSocket } from 'ws';

export interface LoadResult {
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
  const delivered = rounds.reduce((n, r) => n + r.delivered, 0);
  const seconds = rounds.reduce((n, r) => n + r.seconds, 0);
  return { delivered, seconds, throughput: delivered / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), latencies };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

const TOKEN = /bm:(\d+):(\d+)/g;

// The same closed-loop load for both systems: every customer keeps `window` messages in flight, a
// message counting as delivered when its agent's socket receives it. Bounded by `seconds`.
export async function runLoad(opts: {
  customers: WebSocket[];
  agents: WebSocket[];
  seconds: number;
  window: number;
  frame: (chat: number, n: number) => string;
}): Promise<LoadResult> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const next = new Array<number>(opts.customers.length).fill(0);
  let running = true;
  let delivered = 0;

  const send = (chat: number) => {
    if (!running) return;
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
      send(Number(match[1]));
    }
  };
  for (const agent of opts.agents) agent.on('message', onAgentFrame);

  const start = performance.now();
  for (let chat = 0; chat < opts.customers.length; chat++) for (let i = 0; i < opts.window; i++) send(chat);
  await new Promise((resolve) => setTimeout(resolve, opts.seconds * 1000));
  running = false;
  const seconds = (performance.now() - start) / 1000;
  for (const agent of opts.agents) agent.off('message', onAgentFrame);

  latencies.sort((a, b) => a - b);
  return { delivered, seconds, throughput: delivered / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), latencies };
}

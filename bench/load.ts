import { performance } from 'node:perf_hooks';
import type { WebSocket } from 'ws';

export interface LoadResult {
  delivered: number;
  seconds: number;
  throughput: number;
  p50: number;
  p99: number;
}

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
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  return { delivered, seconds, throughput: delivered / seconds, p50: pct(50), p99: pct(99) };
}

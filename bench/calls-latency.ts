// bench:calls (a): click-to-ring latency. From the agent's HTTP request (POST .../call) to the customer's
// channel ringing, as a second ARI client sees it (ChannelStateChange Ringing), against the same calls made
// by a bare ari-client script in the same run: bridge, ring the agent's desk phone, on answer add it to
// the bridge and originate the customer (the same channels: caller id, the four tags). Both ring the same desk phone (SIPp, answers at once) and the same
// customer number, routed by the simulated PSTN to a ringing-only extension (asterisk-config, bench-ringing).
import { performance } from 'node:perf_hooks';
import type { AriEvent } from '../src/ari/index.ts';
import { BENCH_APP, percentile, type AgentSeat, type Rig } from './calls-rig.ts';

export const RINGING_NUMBER = '+15550000001';

export interface LatencyResult {
  controller: number[];
  raw: number[];
}

const ringingOf = (match: (id: string) => boolean) => (e: AriEvent) =>
  e.type === 'ChannelStateChange' && e.channel?.state === 'Ringing' && match(e.channel.id);
const destroyed = (id: string) => (e: AriEvent) => e.type === 'ChannelDestroyed' && e.channel?.id === id;

async function throughController(rig: Rig, seat: AgentSeat): Promise<number> {
  const ringing = rig.tap.wait(ringingOf((id) => id.startsWith('cc-') && id.endsWith('-customer')), 'controller: customer ringing');
  const t0 = performance.now();
  const res = await rig.post(seat, `/desktop/interactions/${seat.chatId}/call`);
  const body = await res.text();
  if (!res.ok) throw new Error(`POST call: HTTP ${res.status} ${body.slice(0, 200)}`);
  const { at, event } = await ringing;
  const customer = event.channel!.id;
  const gone = Promise.all([rig.tap.wait(destroyed(customer), 'customer gone'), rig.tap.wait(destroyed(customer.replace(/-customer$/, '-agent')), 'agent gone')]);
  const released = await rig.post(seat, `/desktop/interactions/${seat.chatId}/release`);
  await released.text();
  await gone;
  return at - t0;
}

async function raw(rig: Rig, seat: AgentSeat, n: number): Promise<number> {
  const { ari, tap } = rig;
  const agent = `raw-${n}-agent`;
  const customer = `raw-${n}-customer`;
  const bridgeId = `raw-${n}`;
  // The same channels as the controller's: the same caller id and the same four tags.
  const tags = (role: string) => ({ INTERACTION_ID: seat.chatId, SERVICE_ID: 'roadside', CALL_LEG_ID: bridgeId, CALL_LEG_ROLE: role });
  const answered = tap.wait((e) => e.type === 'StasisStart' && e.channel?.id === agent, 'raw: agent answered');
  const ringing = tap.wait(ringingOf((id) => id === customer), 'raw: customer ringing');
  const t0 = performance.now();
  await ari.bridges.create({ type: 'mixing', bridgeId, name: bridgeId });
  await ari.channels.originate({ endpoint: `PJSIP/${seat.id}-desk`, app: BENCH_APP, appArgs: 'agent', channelId: agent, callerId: `"${seat.number}" <${seat.number}>`, timeout: 30, variables: tags('agent') });
  await answered;
  await ari.bridges.addChannel({ bridgeId, channel: agent });
  await ari.channels.originate({ endpoint: `PJSIP/${seat.number}@trunk`, app: BENCH_APP, appArgs: 'customer', channelId: customer, timeout: 30, variables: tags('customer') });
  const { at } = await ringing;
  const gone = Promise.all([tap.wait(destroyed(customer), 'raw customer gone'), tap.wait(destroyed(agent), 'raw agent gone')]);
  await ari.channels.hangup({ channelId: customer });
  await ari.channels.hangup({ channelId: agent });
  await ari.bridges.destroy({ bridgeId });
  await gone;
  return at - t0;
}

// Alternates the two (which goes first flips every round), so drift affects both alike.
export async function clickToRing(rig: Rig, opts: { calls: number; warmup: number; deadlineMs: number }): Promise<LatencyResult> {
  const seat = await rig.openChat(rig.seats[0]!, RINGING_NUMBER);
  const out: LatencyResult = { controller: [], raw: [] };
  const deadline = Date.now() + opts.deadlineMs;
  for (let i = 0; i < opts.warmup + opts.calls && Date.now() < deadline; i++) {
    const pair = i % 2 === 0 ? [() => throughController(rig, seat), () => raw(rig, seat, i)] : [() => raw(rig, seat, i), () => throughController(rig, seat)];
    const first = await pair[0]!();
    const second = await pair[1]!();
    if (i < opts.warmup) continue;
    out.controller.push(i % 2 === 0 ? first : second);
    out.raw.push(i % 2 === 0 ? second : first);
  }
  return out;
}

export function summarize(samples: number[]): { p50: number; p99: number; mean: number; n: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length, n: sorted.length };
}

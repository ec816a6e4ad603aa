// bench:calls — voice through the controller against the same calls without it, in one run, on one rig
// (see calls-rig.ts: an Asterisk owned by the bench, the server against it, baresip phones; 127.0.0.1).
//  (a) click-to-ring latency: HTTP click to the customer's channel ringing, vs a bare ari-client script.
//  (b) concurrent bridged G.711 calls under one CPU ceiling: through the controller vs dialplan Dial().
// Usage: npm run bench:calls [-- --calls 200 --agents 60 --step 5 --ceiling 0.4 --rounds 2]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ramp, type CapacityResult } from './calls-capacity.ts';
import { clickToRing, RINGING_NUMBER, summarize } from './calls-latency.ts';
import { startRig } from './calls-rig.ts';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '200' }, // latency samples per path
    agents: { type: 'string', default: '60' }, // most concurrent calls tried
    step: { type: 'string', default: '5' },
    ceiling: { type: 'string', default: '0.4' }, // CPU cores used by Asterisk + the server (phones not counted)
    rounds: { type: 'string', default: '2' }, // capacity ramps per mode, in ABBA order against drift
  },
});
const CALLS = Number(values.calls);
const AGENTS = Number(values.agents);
const STEP = Number(values.step);
const CEILING = Number(values.ceiling);
const ROUNDS = Number(values.rounds);
const ms = (n: number) => `${n.toFixed(2)} ms`;
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

async function main(): Promise<void> {
  const started = Date.now();
  console.log(`bench:calls — ${AGENTS} agents with desk phones, ${AGENTS} customer phones (baresip, PCMU); load average ${load()}`);
  const rig = await startRig({ agents: AGENTS, numberOf: (i) => `+1555200${String(i).padStart(4, '0')}`, customerPhones: true });
  console.log(`rig up in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  try {
    console.log(`\n(a) click-to-ring latency, ${CALLS} calls each way, interleaved (customer ${RINGING_NUMBER} rings, never answers)`);
    const latency = await clickToRing(rig, { calls: CALLS, warmup: 10, deadlineMs: 180_000 });
    const c = summarize(latency.controller);
    const r = summarize(latency.raw);
    console.log(`  through the controller (HTTP POST .../call): p50 ${ms(c.p50)}  p99 ${ms(c.p99)}  (n=${c.n})`);
    console.log(`  bare ari-client script (same ARI steps):      p50 ${ms(r.p50)}  p99 ${ms(r.p99)}  (n=${r.n})`);
    const d50 = c.p50 - r.p50;
    const d99 = c.p99 - r.p99;
    console.log(`  the controller adds: p50 ${ms(d50)} (target <= 2: ${d50 <= 2 ? 'met' : 'MISSED'}), p99 ${ms(d99)} (target <= 5: ${d99 <= 5 ? 'met' : 'MISSED'})`);

    console.log(`\n(b) concurrent bridged G.711 calls at a ceiling of ${CEILING} CPU cores used by Asterisk + the server (the phones, load generators, not counted), steps of ${STEP}`);
    const results: CapacityResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? (['dialplan', 'controller'] as const) : (['controller', 'dialplan'] as const);
      for (const mode of order) results.push(await ramp(rig, mode, { ceilingCores: CEILING, step: STEP, max: AGENTS, deadlineMs: 240_000 }));
    }
    for (const res of results) {
      const at = `${res.atCeiling.toFixed(1)}${res.ceilingReached ? '' : ' (extrapolated: ceiling not reached)'}`;
      console.log(`  ${res.mode.padEnd(10)}: ${at} calls at the ceiling; ${res.stopped}; media both ways on ${res.media.flowing}/${res.media.checked} sampled calls`);
    }
    const mean = (mode: string) => {
      const of = results.filter((r) => r.mode === mode);
      return of.reduce((a, r) => a + r.atCeiling, 0) / of.length;
    };
    const ratio = mean('controller') / mean('dialplan');
    console.log(`  mean over ${ROUNDS} round(s): dialplan ${mean('dialplan').toFixed(1)}, controller ${mean('controller').toFixed(1)} calls; ratio controller/dialplan ${ratio.toFixed(2)}x (target >= 0.95x: ${ratio >= 0.95 ? 'met' : 'MISSED'})`);
    const peak = results.filter((r) => r.mode === 'controller').sort((a, b) => (b.steps.at(-1)?.calls ?? 0) - (a.steps.at(-1)?.calls ?? 0))[0]!;
    console.log(`  controller at its peak (${peak.steps.at(-1)?.calls ?? 0} calls): RSS ${peak.controller.rssMb.toFixed(0)} MB, event-loop lag p99 ${ms(peak.controller.lagP99Ms)}, max ${ms(peak.controller.lagMaxMs)}`);
  } finally {
    await rig.stop();
  }
  console.log(`\ndone in ${((Date.now() - started) / 1000).toFixed(0)} s; load average ${load()}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

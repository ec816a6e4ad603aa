// bench:calls — voice through the controller against the same calls without it, in one run, on one rig
// (see calls-rig.ts: an Asterisk owned by the bench, the server against it, SIPp phones; 127.0.0.1).
//  (a) click-to-ring latency: HTTP click to the customer's channel ringing, vs a bare ari-client script.
//  (b) concurrent bridged G.711 calls under one CPU ceiling: through the controller vs dialplan Dial().
//  (c) call setup rate at under 1% failures: through the controller vs dialplan Dial().
// Usage: npm run bench:calls [-- --agents 300 --max 300 --step 20 --ceiling 1.6 --rounds 2 --parts abc]
// --record: (b) compares every call recorded with the same calls unrecorded (calls-recording.ts).
// While developing on a busy machine: --agents 40 --max 40 --step 10 --calls 20 --rate-max 10.
// Where the server's CPU goes at a steady rate: --parts c --rate-start 12 --rate-max 12 --rate-seconds 60 --profile DIR
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ramp, type CapacityResult } from './calls-capacity.ts';
import { clickToRing, RINGING_NUMBER, summarize } from './calls-latency.ts';
import { startRig } from './calls-rig.ts';
import { recordingCapacity } from './calls-recording.ts';
import { setupRates } from './calls-setup-rate.ts';

const { values } = parseArgs({
  options: {
    parts: { type: 'string', default: 'abc' }, // which of (a), (b), (c) to run
    rtp: { type: 'string', default: 'stream' }, // the phones' voice: SIPp's rtp_stream, or 'pcap' (play_pcap_audio, twice the CPU)
    calls: { type: 'string', default: '200' }, // (a) latency samples per path
    agents: { type: 'string', default: '300' }, // seats: agents with a desk phone, a chat, a customer's phone
    max: { type: 'string' }, // (b) most concurrent calls tried (default: every seat)
    step: { type: 'string', default: '20' }, // (b) calls added per step
    ceiling: { type: 'string', default: String(0.8 * availableParallelism()) }, // CPU cores used by Asterisk + the server (SIPp not counted)
    rounds: { type: 'string', default: '2' }, // (b) ramps per mode, in ABBA order against drift
    'rate-start': { type: 'string', default: '5' }, // (c) calls a second
    'rate-step': { type: 'string', default: '5' },
    'rate-max': { type: 'string', default: '100' },
    'rate-seconds': { type: 'string', default: '10' }, // (c) length of each rate step
    hold: { type: 'string', default: '2000' }, // (c) ms each answered call is held
    'answer-timeout': { type: 'string', default: '3000' }, // (c) ms from placing a call to the customer's answer, or it failed
    record: { type: 'boolean', default: false }, // (b) recorded calls against unrecorded ones instead of the dialplan
    profile: { type: 'string' }, // a folder: the server's V8 CPU profile is written there at the end
  },
});
const PARTS = values.parts;
if (values.rtp !== 'stream' && values.rtp !== 'pcap') throw new Error('--rtp is stream or pcap');
const RTP = values.rtp;
const CALLS = Number(values.calls);
const AGENTS = Number(values.agents);
const MAX = Math.min(AGENTS, Number(values.max ?? AGENTS));
const STEP = Number(values.step);
const CEILING = Number(values.ceiling);
const ROUNDS = Number(values.rounds);
const ms = (n: number) => `${n.toFixed(2)} ms`;
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

async function main(): Promise<void> {
  const started = Date.now();
  console.log(`bench:calls — ${AGENTS} agents with desk phones, ${AGENTS} customers' phones (SIPp, PCMU by ${RTP === 'pcap' ? 'play_pcap_audio' : 'rtp_stream'}); ${availableParallelism()} cores; load average ${load()}`);
  const rig = await startRig({ agents: AGENTS, numberOf: (i) => `+1555200${String(i).padStart(4, '0')}`, rtp: RTP, ...(values.profile ? { profileDir: values.profile } : {}) });
  console.log(`rig up in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  try {
    if (PARTS.includes('a')) {
      console.log(`\n(a) click-to-ring latency, ${CALLS} calls each way, interleaved (customer ${RINGING_NUMBER} rings, never answers)`);
      const latency = await clickToRing(rig, { calls: CALLS, warmup: 10, deadlineMs: 180_000 });
      const c = summarize(latency.controller);
      const r = summarize(latency.raw);
      console.log(`  through the controller (HTTP POST .../call): p50 ${ms(c.p50)}  p99 ${ms(c.p99)}  (n=${c.n})`);
      console.log(`  bare ari-client script (same ARI steps):      p50 ${ms(r.p50)}  p99 ${ms(r.p99)}  (n=${r.n})`);
      const d50 = c.p50 - r.p50;
      const d99 = c.p99 - r.p99;
      console.log(`  the controller adds: p50 ${ms(d50)} (target <= 2: ${verdict(d50 <= 2)}), p99 ${ms(d99)} (target <= 5: ${verdict(d99 <= 5)})`);
    }
    if (PARTS.includes('b')) await capacity(rig);
    if (PARTS.includes('c')) await rates(rig);
  } finally {
    console.log(`\nSIPp: desk phones ${JSON.stringify(await rig.deskPhones.stats())}, customers' phones ${JSON.stringify(await rig.customerPhones.stats())}`);
    await rig.stop();
  }
  console.log(`\ndone in ${((Date.now() - started) / 1000).toFixed(0)} s; load average ${load()}`);
}

// Over the ramps measured up to half the ceiling at least: a machine busy with other work early on
// leaves a ramp too short to extrapolate from.
const counts = (r: CapacityResult) => Number.isFinite(r.atCeiling) && r.steps.some((s) => s.cores >= CEILING / 2);

async function capacity(rig: Awaited<ReturnType<typeof startRig>>): Promise<void> {
  if (values.record) return recordingCapacity(rig, { ceilingCores: CEILING, step: STEP, max: MAX, rounds: ROUNDS, counts, verdict });
  console.log(`\n(b) concurrent bridged G.711 calls at a ceiling of ${CEILING} CPU cores used by Asterisk + the server (SIPp and the bench, the load generators, not counted), steps of ${STEP} up to ${MAX}`);
  const results: CapacityResult[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['dialplan', 'controller'] as const) : (['controller', 'dialplan'] as const);
    for (const mode of order) results.push(await ramp(rig, mode, { ceilingCores: CEILING, step: STEP, max: MAX, deadlineMs: 600_000 }));
  }
  for (const res of results) {
    const at = `${res.atCeiling.toFixed(1)}${res.ceilingReached ? '' : ' (extrapolated: ceiling not reached)'}`;
    console.log(`  ${res.mode.padEnd(10)}: ${at} calls at the ceiling${counts(res) ? '' : ' (measured too little to count)'}; ${res.stopped}; RTP both ways on ${res.media.flowing}/${res.media.checked} sampled phone channels; bridges ${JSON.stringify(res.bridges)}`);
  }
  const mean = (mode: string) => {
    const of = results.filter((r) => r.mode === mode && counts(r));
    return of.length ? of.reduce((a, r) => a + r.atCeiling, 0) / of.length : NaN;
  };
  const ratio = mean('controller') / mean('dialplan');
  console.log(`  mean over ${ROUNDS} round(s): dialplan ${mean('dialplan').toFixed(1)}, controller ${mean('controller').toFixed(1)} calls; ratio controller/dialplan ${ratio.toFixed(2)}x (target >= 0.95x: ${verdict(ratio >= 0.95)})`);
  const controller = results.filter((r) => r.mode === 'controller');
  const measured = controller.flatMap((r) => r.steps).sort((a, b) => b.calls - a.calls || b.cores - a.cores)[0];
  const extrapolated = controller.some((r) => !r.ceilingReached);
  console.log(
    `  through the controller: ${mean('controller').toFixed(0)} concurrent calls at ${CEILING} cores` +
      (extrapolated ? `, extrapolated (most measured: ${measured?.calls ?? 0} calls at ${measured?.cores.toFixed(2) ?? '?'} cores)` : '') +
      ` (target >= 200: ${verdict(mean('controller') >= 200)})`,
  );
  const allMedia = results.every((r) => r.media.checked > 0 && r.media.flowing === r.media.checked);
  console.log(`  RTP flowed both ways on every sampled channel: ${allMedia ? 'yes' : 'NO'}`);
  const peak = results.filter((r) => r.mode === 'controller').sort((a, b) => (b.steps.at(-1)?.calls ?? 0) - (a.steps.at(-1)?.calls ?? 0))[0]!;
  console.log(`  controller at its peak (${peak.steps.at(-1)?.calls ?? 0} calls): RSS ${peak.controller.rssMb.toFixed(0)} MB, event-loop lag p99 ${ms(peak.controller.lagP99Ms)}, max ${ms(peak.controller.lagMaxMs)}`);
}

async function rates(rig: Awaited<ReturnType<typeof startRig>>): Promise<void> {
  const opts = {
    start: Number(values['rate-start']),
    step: Number(values['rate-step']),
    max: Number(values['rate-max']),
    seconds: Number(values['rate-seconds']),
    holdMs: Number(values.hold),
    answerTimeoutMs: Number(values['answer-timeout']),
    ceilingCores: CEILING,
    deadlineMs: 1_200_000,
  };
  console.log(`\n(c) call setup rate: ${opts.seconds} s per rate, each call held ${opts.holdMs} ms, failed when not answered within ${opts.answerTimeoutMs / 1000} s; under 1% failures and ${CEILING} cores; the two modes step by step in turn`);
  const results = await setupRates(rig, ['dialplan', 'controller'], opts);
  for (const r of results) {
    const best = r.best ? `${r.best.achieved.toFixed(1)} calls/s (${r.best.failed}/${r.best.calls} failed, ${r.best.cores.toFixed(2)} cores, setup p50 ${r.best.setupP50Ms.toFixed(0)} ms)` : 'no rate passed';
    console.log(`  ${r.mode.padEnd(10)}: ${best}; ${r.stopped}`);
  }
  const [dialplan, controller] = results.map((r) => r.best?.achieved ?? 0) as [number, number];
  const ratio = dialplan > 0 ? controller / dialplan : 0;
  console.log(`  ratio controller/dialplan ${ratio.toFixed(2)}x (target >= 0.9x at under 1% failures: ${verdict(ratio >= 0.9)})`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

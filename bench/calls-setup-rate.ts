// bench:calls (c): call setup rate. Calls are offered at a steady rate for a while, through the
// controller (the agent's HTTP click) and through the dialplan alone (an ARI originate into Dial()),
// on the same rig; each call is held a short while, then released, and its seat (agent, chat, phones)
// serves a later call. A call fails when its customer's phone has not answered within a deadline or a
// request is refused. Rates go up by a fixed step until a step fails (1% of calls or more failed, or
// Asterisk + the server passed the CPU ceiling; a step that saturated the whole machine ends the
// search too, without a verdict on the rate), then are bisected twice between the last good rate
// and the failed one. The result is the best rate reached with under 1% failures, as achieved (answered
// calls per second of the step), not as offered.
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { endCall, placeCall, type Mode } from './calls-capacity.ts';
import { cpuSeconds, machineBusySeconds, percentile, type AgentSeat, type Rig } from './calls-rig.ts';

export interface RateStep {
  offered: number; // calls a second, as scheduled
  calls: number;
  failed: number;
  achieved: number; // answered calls a second
  cores: number; // Asterisk + the server, over the step
  machineCores: number; // every process of the machine, over the step
  setupP50Ms: number;
  setupP95Ms: number;
}

export interface RateResult {
  mode: Mode;
  steps: RateStep[];
  best: RateStep | undefined;
  stopped: string;
}

export interface RateOptions {
  start: number; // calls a second
  step: number;
  max: number;
  seconds: number; // per step
  holdMs: number;
  answerTimeoutMs: number;
  ceilingCores: number;
  deadlineMs: number;
}

const MAX_FAILURE = 0.01;
let nextCall = 0;

const gone = (rig: Rig, number: string) => {
  const prefix = `PJSIP/${number.replace(/^\+/, '')}-`;
  return rig.tap.wait((e) => e.type === 'ChannelDestroyed' && !!e.channel?.name.startsWith(prefix), `${number} hung up`, 15_000);
};

// One step: `rate` calls a second for `seconds`, each on a free seat. Undefined when seats ran out.
async function runStep(rig: Rig, mode: Mode, rate: number, opts: RateOptions): Promise<RateStep | undefined> {
  const free: AgentSeat[] = [...rig.seats];
  const total = Math.round(rate * opts.seconds);
  const setups: number[] = [];
  let failed = 0;
  let outOfSeats = false;
  const pids = [rig.asterisk.pid, rig.server.pid];
  const c0 = cpuSeconds(pids);
  const m0 = machineBusySeconds();
  const t0 = performance.now();
  const tasks: Promise<void>[] = [];
  for (let k = 0; k < total; k++) {
    const wait = t0 + (k * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    const seat = free.shift();
    if (!seat) {
      outOfSeats = true;
      break;
    }
    tasks.push(
      (async () => {
        const callId = `dp-${seat.id}-${nextCall++}`;
        const ended = gone(rig, seat.number).then(
          () => true,
          () => false,
        );
        const start = performance.now();
        const ok = await placeCall(rig, mode, seat, callId, opts.answerTimeoutMs);
        if (ok) setups.push(performance.now() - start);
        else failed++;
        if (ok) await sleep(opts.holdMs);
        await endCall(rig, mode, seat, callId).catch((err: unknown) => console.error(`  ${mode}: ending a call: ${(err as Error).message}`));
        // The seat serves again once its customer's phone is hung up (a failed call's seat, never).
        if (ok && (await ended)) free.push(seat);
      })(),
    );
  }
  const window = Math.max((performance.now() - t0) / 1000, total / rate); // the offering window; CPU over the same
  const cores = (cpuSeconds(pids) - c0) / window;
  const machineCores = (machineBusySeconds() - m0) / window;
  await Promise.all(tasks);
  if (outOfSeats) return undefined;
  const sorted = setups.sort((a, b) => a - b);
  return { offered: rate, calls: total, failed, achieved: sorted.length / window, cores, machineCores, setupP50Ms: percentile(sorted, 50), setupP95Ms: percentile(sorted, 95) };
}

export async function setupRate(rig: Rig, mode: Mode, opts: RateOptions): Promise<RateResult> {
  const deadline = Date.now() + opts.deadlineMs;
  const steps: RateStep[] = [];
  const passes = (s: RateStep) => s.failed / s.calls < MAX_FAILURE && s.cores < opts.ceilingCores;
  let good = 0;
  let bad = 0;
  let stopped = `the highest rate tried (${opts.max}/s) passed`;
  // true: passed; false: failed; 'seats' or 'saturated': no verdict.
  // A step that saturated the machine (other work on a shared one, often) runs again, twice at most.
  const tryRate = async (rate: number, attempt = 1): Promise<boolean | 'seats' | 'saturated'> => {
    const step = await runStep(rig, mode, rate, opts);
    if (!step) return 'seats';
    const saturated = step.machineCores >= 0.95 * availableParallelism();
    const ok = passes(step);
    console.log(
      `  ${mode}: ${rate.toFixed(1).padStart(5)}/s offered, ${step.achieved.toFixed(1).padStart(5)}/s answered, ${step.failed}/${step.calls} failed, ` +
        `setup p50 ${step.setupP50Ms.toFixed(0)} ms p95 ${step.setupP95Ms.toFixed(0)} ms, asterisk + server ${step.cores.toFixed(2)} cores (machine ${step.machineCores.toFixed(2)})` +
        (saturated ? '  <- machine saturated' : ok ? '' : '  <- fails'),
    );
    await sleep(1000); // stragglers hang up before the next step
    if (saturated) return attempt < 3 ? tryRate(rate, attempt + 1) : 'saturated';
    steps.push(step);
    return ok;
  };
  for (let rate = opts.start; rate <= opts.max; rate += opts.step) {
    if (Date.now() > deadline) {
      stopped = 'time limit';
      break;
    }
    const ok = await tryRate(rate);
    if (ok === 'seats' || ok === 'saturated') {
      stopped = ok === 'seats' ? `seats ran out at ${rate}/s (more agents, or a shorter hold)` : `the machine saturated at ${rate}/s`;
      break;
    }
    if (!ok) {
      bad = rate;
      stopped = `failed at ${rate}/s`;
      break;
    }
    good = rate;
  }
  for (let i = 0; i < 2 && bad > 0 && Date.now() < deadline; i++) {
    const mid = (good + bad) / 2;
    const ok = await tryRate(mid);
    if (ok === 'seats' || ok === 'saturated') break;
    if (ok) good = mid;
    else bad = mid;
  }
  const best = steps.filter(passes).sort((a, b) => b.achieved - a.achieved)[0];
  return { mode, steps, best, stopped };
}

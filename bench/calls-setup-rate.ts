// bench:calls (c): call setup rate. Calls are offered at a steady rate for a while, through the
// controller (the agent's HTTP click) and through the dialplan alone (an ARI originate into Dial()),
// on the same rig, one step of each in turn; each call is held a short while, then released, and its
// seat (agent, chat, phones) serves a later call. A call fails when its customer's phone has not
// answered within a deadline (3 s by default: a click-to-call that takes longer has failed the agent)
// or a request is refused. Rates go up by a fixed step until a step fails (1% of calls or more failed, or
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
  serverCores: number; // the server alone
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
  const s0 = cpuSeconds([rig.server.pid]);
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
  const serverCores = (cpuSeconds([rig.server.pid]) - s0) / window;
  const machineCores = (machineBusySeconds() - m0) / window;
  await Promise.all(tasks);
  if (outOfSeats) return undefined;
  const sorted = setups.sort((a, b) => a - b);
  return { offered: rate, calls: total, failed, achieved: sorted.length / window, cores, serverCores, machineCores, setupP50Ms: percentile(sorted, 50), setupP95Ms: percentile(sorted, 95) };
}

const passes = (s: RateStep, opts: RateOptions) => s.failed / s.calls < MAX_FAILURE && s.cores < opts.ceilingCores;

// One mode's search: up by `step` until a rate fails, then two bisections.
class Search {
  readonly mode: Mode;
  readonly opts: RateOptions;
  readonly steps: RateStep[] = [];
  stopped: string;
  done = false;
  #rate: number;
  #good = 0;
  #bad = 0;
  #bisections = 0;

  constructor(mode: Mode, opts: RateOptions) {
    this.mode = mode;
    this.opts = opts;
    this.#rate = opts.start;
    this.stopped = `the highest rate tried (${opts.max}/s) passed`;
  }

  get rate(): number {
    return this.#rate;
  }

  record(verdict: boolean | 'seats' | 'saturated'): void {
    const rate = this.#rate;
    if (verdict === 'seats' || verdict === 'saturated') {
      if (this.#bad === 0) this.stopped = verdict === 'seats' ? `seats ran out at ${rate}/s (more agents, or a shorter hold)` : `the machine saturated at ${rate}/s`;
      this.done = true;
      return;
    }
    if (this.#bad > 0) this.#bisections++;
    if (verdict) this.#good = rate;
    else {
      if (this.#bad === 0) this.stopped = `failed at ${rate}/s`;
      this.#bad = rate;
    }
    if (this.#bad === 0) {
      this.#rate = rate + this.opts.step;
      this.done = this.#rate > this.opts.max;
    } else {
      this.#rate = (this.#good + this.#bad) / 2;
      this.done = this.#bisections >= 2;
    }
  }

  result(): RateResult {
    const best = this.steps.filter((s) => passes(s, this.opts)).sort((a, b) => b.achieved - a.achieved)[0];
    return { mode: this.mode, steps: this.steps, best, stopped: this.stopped };
  }
}

// true: passed; false: failed; 'seats' or 'saturated': no verdict. A step that saturated the machine
// (other work on a shared one, often) runs again, twice at most.
async function tryRate(rig: Rig, search: Search, attempt = 1): Promise<boolean | 'seats' | 'saturated'> {
  const { mode, rate, opts } = search;
  const step = await runStep(rig, mode, rate, opts);
  if (!step) return 'seats';
  const saturated = step.machineCores >= 0.95 * availableParallelism();
  const ok = passes(step, opts);
  console.log(
    `  ${mode.padEnd(10)}: ${rate.toFixed(1).padStart(5)}/s offered, ${step.achieved.toFixed(1).padStart(5)}/s answered, ${step.failed}/${step.calls} failed, ` +
      `setup p50 ${step.setupP50Ms.toFixed(0)} ms p95 ${step.setupP95Ms.toFixed(0)} ms, asterisk + server ${step.cores.toFixed(2)} cores (server ${step.serverCores.toFixed(2)}; machine ${step.machineCores.toFixed(2)})` +
      (saturated ? '  <- machine saturated' : ok ? '' : '  <- fails'),
  );
  await sleep(1000); // stragglers hang up before the next step
  if (saturated) return attempt < 3 ? tryRate(rig, search, attempt + 1) : 'saturated';
  search.steps.push(step);
  return ok;
}

// The searches of every mode, interleaved step by step (which goes first flips every round), so drift
// of the machine's load affects all alike.
export async function setupRates(rig: Rig, modes: Mode[], opts: RateOptions): Promise<RateResult[]> {
  const deadline = Date.now() + opts.deadlineMs;
  const searches = modes.map((mode) => new Search(mode, opts));
  for (let round = 0; searches.some((s) => !s.done); round++) {
    if (Date.now() > deadline) {
      for (const s of searches.filter((s) => !s.done)) s.stopped = 'time limit';
      break;
    }
    for (const search of round % 2 === 0 ? searches : [...searches].reverse()) if (!search.done) search.record(await tryRate(rig, search));
  }
  return searches.map((s) => s.result());
}

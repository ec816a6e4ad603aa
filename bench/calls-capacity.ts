// bench:calls (b): how many bridged G.711 calls fit under one CPU ceiling, through the controller and
// made by the dialplan alone, on the same rig. A call is an agent's desk phone and a customer's phone
// (SIPp, PCMU from a pcap both ways) bridged through the development trunk. Calls are added `step` at a
// time; a step counts once every customer's phone has answered; then the CPU of the system under test
// (Asterisk and the server, from /proc) is measured; the count at the ceiling comes from a line fitted
// through all steps. SIPp and the bench process are the load generators: their CPU is shown, not counted.
// They share the machine with the system under test (and, on a shared machine, with whatever else
// runs): when the whole machine is busy (95% of every core), Asterisk can no longer show what it needs,
// so the ramp stops there (once measuring again finds it still saturated) and the count at the ceiling is
// extrapolated from the steps before.
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../test/helpers/eventually.ts';
import { cpuSeconds, customerAnswered, machineBusySeconds, rssMb, within, type AgentSeat, type Rig } from './calls-rig.ts';

// 'recorded': through the controller, with the service recording every call (bench:calls --record).
export type Mode = 'controller' | 'dialplan' | 'recorded';

export interface CapacityResult {
  mode: Mode;
  steps: Array<{ calls: number; cores: number; machineCores: number }>;
  // The step that found the machine saturated (not in `steps`: Asterisk could not show all it needs).
  saturatedStep?: { calls: number; cores: number; machineCores: number };
  atCeiling: number;
  ceilingReached: boolean;
  stopped: string; // why the ramp ended
  media: { checked: number; flowing: number };
  bridges: Record<string, number>; // Asterisk's bridging technology at the top of the ramp: how many bridges use each
  controller: { rssMb: number; lagP99Ms: number; lagMaxMs: number };
}

type Channel = { id: string; name: string };
const ANSWER_TIMEOUT_MS = 30_000;
const SATURATED = 0.95; // of every core of the machine

// Unlike a test, a ramp that waits in vain goes on: it says so and reports what it reached.
export async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  return eventually(what, async () => ((await ok()) ? true : undefined), timeoutMs).then(
    () => true,
    (err: Error) => {
      console.error(`  ${err.message}`);
      return false;
    },
  );
}

// Places the call; resolves once the customer's phone has answered (false when it did not, in time).
export async function placeCall(rig: Rig, mode: Mode, seat: AgentSeat, callId: string, timeoutMs = ANSWER_TIMEOUT_MS): Promise<boolean> {
  const answered = customerAnswered(rig.tap, seat.number, timeoutMs).then(
    () => true,
    () => false,
  );
  try {
    await within(startCall(rig, mode, seat, callId), timeoutMs, `${mode}: placing a call`);
  } catch (err) {
    console.error(`  ${mode}: ${(err as Error).message}`);
    return false;
  }
  return answered;
}

async function startCall(rig: Rig, mode: Mode, seat: AgentSeat, callId: string): Promise<void> {
  if (mode !== 'dialplan') {
    const res = await rig.post(seat, `/desktop/interactions/${seat.chatId}/call`);
    const body = await res.text();
    if (!res.ok) throw new Error(`POST call: HTTP ${res.status} ${body.slice(0, 200)}`);
    return;
  }
  // The dialplan alone: the agent's phone is rung, and once it answers, bench-dialplan Dial()s the customer.
  const originate = rig.ari.channels.originate as unknown as (p: Record<string, unknown>) => Promise<unknown>;
  await originate({ endpoint: `PJSIP/${seat.id}-desk`, context: 'bench-dialplan', extension: seat.number, priority: 1, channelId: callId, callerId: seat.number, timeout: 30 });
}

export async function endCall(rig: Rig, mode: Mode, seat: AgentSeat, callId: string): Promise<void> {
  const ending =
    mode !== 'dialplan'
      ? rig.post(seat, `/desktop/interactions/${seat.chatId}/release`).then(async (res) => void (await res.text()))
      : rig.ari.channels.hangup({ channelId: callId }).catch((err: unknown) => {
          if (!/not found|404/i.test((err as Error).message)) throw err; // gone already: fine
        });
  await within(ending, 15_000, `${mode}: ending a call`);
}

async function endCalls(rig: Rig, mode: Mode, seats: AgentSeat[]): Promise<void> {
  for (let i = 0; i < seats.length; i += 20) {
    const ended = await Promise.allSettled(seats.slice(i, i + 20).map((seat) => endCall(rig, mode, seat, `dp-${seat.id}`)));
    for (const r of ended) if (r.status === 'rejected') console.error(`  ${(r.reason as Error).message}`);
  }
  await until('all channels gone', async () => (await within(rig.ari.channels.list(), 5000, 'listing channels')).length === 0, 30_000);
}

// RTP both ways on up to 12 agents' desk phone channels and 12 customers' phone channels, counted by
// Asterisk over one second: each must have received and sent 30 packets or more (50 a second flow).
// What Asterisk sends a phone comes from the other phone, through the bridge: both ways, end to end.
async function mediaCheck(rig: Rig, mode: Mode, calls: number): Promise<{ checked: number; flowing: number }> {
  const channels = (await rig.ari.channels.list()) as Channel[];
  const agents = channels.filter((c) => (mode !== 'dialplan' ? /^cc-.*-agent$/.test(c.id) : c.id.startsWith('dp-'))).slice(0, Math.min(12, calls));
  const customers = channels.filter((c) => /^PJSIP\/1555\d+-/.test(c.name)).slice(0, Math.min(12, calls));
  const sample = [...agents, ...customers];
  const stats = (id: string) => rtpStats(rig, id);
  const before = await Promise.all(sample.map((c) => stats(c.id)));
  await sleep(1000);
  const after = await Promise.all(sample.map((c) => stats(c.id)));
  const flowing = sample.filter((_, i) => after[i] && before[i] && after[i]!.rx - before[i]!.rx >= 30 && after[i]!.tx - before[i]!.tx >= 30).length;
  return { checked: sample.length, flowing };
}

async function rtpStats(rig: Rig, channelId: string): Promise<{ rx: number; tx: number } | null> {
  const auth = 'Basic ' + Buffer.from(`${rig.asterisk.ariUser}:${rig.asterisk.ariPassword}`).toString('base64');
  const res = await fetch(`${rig.asterisk.ariUrl}/ari/channels/${encodeURIComponent(channelId)}/rtp_statistics`, { headers: { authorization: auth }, signal: AbortSignal.timeout(5000) }).catch(() => null);
  if (!res) return null;
  if (!res.ok) return (await res.body?.cancel(), null);
  const s = (await res.json()) as { rxcount: number; txcount: number };
  return { rx: s.rxcount, tx: s.txcount };
}

async function controllerLoad(rig: Rig): Promise<{ rssMb: number; lagP99Ms: number; lagMaxMs: number }> {
  const text = await (await fetch(`${rig.server.url}/metrics`)).text();
  const metric = (name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)`, 'm').exec(text)?.[1] ?? NaN) * 1000;
  return { rssMb: rssMb(rig.server.pid), lagP99Ms: metric('cc_nodejs_eventloop_lag_p99_seconds'), lagMaxMs: metric('cc_nodejs_eventloop_lag_max_seconds') };
}

// CPU over 3 s: Asterisk, the server, the load generators, the whole machine. A saturated machine
// (other work on a shared one, often) is measured again, four times at most, 5 s apart.
async function measure(rig: Rig, mode: Mode, calls: number, generators: number[]): Promise<{ cores: number; all: number; saturated: boolean }> {
  const sample = () => [cpuSeconds([rig.asterisk.pid]), cpuSeconds([rig.server.pid]), cpuSeconds(generators), machineBusySeconds()];
  for (let attempt = 1; ; attempt++) {
    const c0 = sample();
    const t0 = performance.now();
    await sleep(3000);
    const secs = (performance.now() - t0) / 1000;
    const [ast, srv, gen, all] = sample().map((v, i) => (v - c0[i]!) / secs) as [number, number, number, number];
    const cores = ast + srv;
    const saturated = all >= SATURATED * availableParallelism();
    console.log(
      `  ${mode}: ${String(calls).padStart(3)} calls, asterisk ${ast.toFixed(2)} + server ${srv.toFixed(2)} = ${cores.toFixed(2)} cores ` +
        `(SIPp + bench ${gen.toFixed(2)}, anything else ${Math.max(0, all - cores - gen).toFixed(2)})${saturated ? '  <- machine saturated' : ''}`,
    );
    if (!saturated || attempt === 5) return { cores, all, saturated };
    await sleep(5000);
  }
}

export async function ramp(rig: Rig, mode: Mode, opts: { ceilingCores: number; step: number; max: number; deadlineMs: number }): Promise<CapacityResult> {
  const generators = [rig.deskPhones.pid, rig.customerPhones.pid, process.pid];
  const seats = rig.seats.slice(0, opts.max);
  const deadline = Date.now() + opts.deadlineMs;
  const steps: CapacityResult['steps'] = [];
  let up = 0;
  let stopped = `all ${seats.length} calls up`;
  let saturatedStep: CapacityResult['saturatedStep'];
  await controllerLoad(rig); // reading the lag resets it: what follows is this ramp's
  while (up < seats.length) {
    if (Date.now() > deadline) {
      stopped = 'time limit';
      break;
    }
    const batch = seats.slice(up, up + opts.step);
    const answered = await Promise.all(batch.map((seat) => placeCall(rig, mode, seat, `dp-${seat.id}`)));
    up += batch.length;
    const failed = answered.filter((ok) => !ok).length;
    if (failed > 0) {
      stopped = `${failed} of the calls ${up - batch.length + 1}..${up} not answered within ${ANSWER_TIMEOUT_MS / 1000} s`;
      break;
    }
    await sleep(1000); // let the new calls settle
    const measured = await measure(rig, mode, up, generators);
    // Saturated, Asterisk shows less than it needs: a step still at the ceiling proves the ceiling.
    if (measured.saturated && measured.cores < opts.ceilingCores) {
      stopped = `machine saturated at ${up} calls (${measured.all.toFixed(2)} of ${availableParallelism()} cores busy)`;
      saturatedStep = { calls: up, cores: measured.cores, machineCores: measured.all };
      break;
    }
    const { cores, all } = measured;
    steps.push({ calls: up, cores, machineCores: all });
    if (cores >= opts.ceilingCores) {
      stopped = `ceiling of ${opts.ceilingCores} cores reached`;
      break;
    }
  }
  const media = await mediaCheck(rig, mode, up);
  const bridges: Record<string, number> = {};
  for (const b of (await rig.ari.bridges.list()) as Array<{ technology?: string }>) bridges[b.technology ?? '?'] = (bridges[b.technology ?? '?'] ?? 0) + 1;
  const controller = await controllerLoad(rig);
  await endCalls(rig, mode, seats.slice(0, up));
  const { atCeiling, ceilingReached } = interpolate(steps, opts.ceilingCores);
  return { mode, steps, saturatedStep, atCeiling, ceilingReached, stopped, media, bridges, controller };
}

// Calls at the ceiling, from a least-squares line through every step (CPU grows linearly with calls;
// one line is steadier than the two noisy steps around the ceiling). Extrapolated when not reached.
function interpolate(steps: CapacityResult['steps'], ceiling: number): { atCeiling: number; ceilingReached: boolean } {
  const ceilingReached = steps.some((s) => s.cores >= ceiling);
  if (steps.length < 2) return { atCeiling: steps.length ? (steps[0]!.calls * ceiling) / steps[0]!.cores : NaN, ceilingReached }; // NaN: nothing measured
  const n = steps.length;
  const mx = steps.reduce((a, s) => a + s.calls, 0) / n;
  const my = steps.reduce((a, s) => a + s.cores, 0) / n;
  const sxy = steps.reduce((a, s) => a + (s.calls - mx) * (s.cores - my), 0);
  const sxx = steps.reduce((a, s) => a + (s.calls - mx) ** 2, 0);
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  return { atCeiling: slope > 0 ? (ceiling - intercept) / slope : steps.at(-1)!.calls, ceilingReached };
}

// bench:calls (b): how many bridged G.711 calls fit under one CPU ceiling, through the controller and
// made by the dialplan alone, on the same rig. A call is an agent's desk phone and a customer's phone
// (baresip, PCMU both ways) bridged through the development trunk. Calls are added `step` at a time;
// after each step the CPU of the system under test (Asterisk and the server) is measured; the count at
// the ceiling comes from a line fitted through all steps. The phones and the bench process are the
// load generators: their CPU is shown, not counted.
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../test/helpers/eventually.ts';
import { cpuSeconds, rssMb, type AgentSeat, type Rig } from './calls-rig.ts';

export type Mode = 'controller' | 'dialplan';

export interface CapacityResult {
  mode: Mode;
  steps: Array<{ calls: number; cores: number }>;
  atCeiling: number;
  ceilingReached: boolean;
  stopped: string; // why the ramp ended
  media: { checked: number; flowing: number };
  controller: { rssMb: number; lagP99Ms: number; lagMaxMs: number };
}

type Channel = { id: string };

function established(rig: Rig): number {
  return rig.customerPhones.reduce((n, p) => n + p.events.filter((e) => e.type === 'CALL_ESTABLISHED').length, 0);
}

// Unlike a test, a ramp that waits in vain goes on: it says so and reports what it reached.
async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  return eventually(what, async () => ((await ok()) ? true : undefined), timeoutMs).then(
    () => true,
    (err: Error) => {
      console.error(`  ${err.message}`);
      return false;
    },
  );
}

async function startCall(rig: Rig, mode: Mode, seat: AgentSeat): Promise<void> {
  if (mode === 'controller') {
    const res = await rig.post(seat, `/desktop/interactions/${seat.chatId}/call`);
    const body = await res.text();
    if (!res.ok) throw new Error(`POST call: HTTP ${res.status} ${body.slice(0, 200)}`);
    return;
  }
  // The dialplan alone: the agent's phone is rung, and once it answers, bench-dialplan Dial()s the customer.
  const originate = rig.ari.channels.originate as unknown as (p: Record<string, unknown>) => Promise<unknown>;
  await originate({ endpoint: `PJSIP/${seat.id}-desk`, context: 'bench-dialplan', extension: seat.number, priority: 1, channelId: `dp-${seat.id}`, callerId: seat.number, timeout: 30 });
}

async function endCalls(rig: Rig, mode: Mode, seats: AgentSeat[]): Promise<void> {
  for (let i = 0; i < seats.length; i += 20) {
    await Promise.all(
      seats.slice(i, i + 20).map(async (seat) => {
        if (mode === 'controller') await (await rig.post(seat, `/desktop/interactions/${seat.chatId}/release`)).text();
        else
          await rig.ari.channels.hangup({ channelId: `dp-${seat.id}` }).catch((err: unknown) => {
            if (!/not found|404/i.test((err as Error).message)) throw err; // gone already: fine
          });
      }),
    );
  }
  await until('all channels gone', async () => (await rig.ari.channels.list()).length === 0, 30_000);
}

// RTP both ways on up to 12 of the agents' channels, counted by Asterisk over one second.
async function mediaCheck(rig: Rig, mode: Mode, seats: AgentSeat[]): Promise<{ checked: number; flowing: number }> {
  const channels = await rig.ari.channels.list();
  const agentChannels = (channels as Channel[]).filter((c) => (mode === 'controller' ? /^cc-.*-agent$/.test(c.id) : c.id.startsWith('dp-'))).slice(0, Math.min(12, seats.length));
  const stats = (id: string) => rtpStats(rig, id);
  const before = await Promise.all(agentChannels.map((c) => stats(c.id)));
  await sleep(1000);
  const after = await Promise.all(agentChannels.map((c) => stats(c.id)));
  const flowing = agentChannels.filter((_, i) => after[i] && before[i] && after[i]!.rx - before[i]!.rx >= 30 && after[i]!.tx - before[i]!.tx >= 30).length;
  return { checked: agentChannels.length, flowing };
}

async function rtpStats(rig: Rig, channelId: string): Promise<{ rx: number; tx: number } | null> {
  const auth = 'Basic ' + Buffer.from(`${rig.asterisk.ariUser}:${rig.asterisk.ariPassword}`).toString('base64');
  const res = await fetch(`${rig.asterisk.ariUrl}/ari/channels/${encodeURIComponent(channelId)}/rtp_statistics`, { headers: { authorization: auth } });
  if (!res.ok) return (await res.body?.cancel(), null);
  const s = (await res.json()) as { rxcount: number; txcount: number };
  return { rx: s.rxcount, tx: s.txcount };
}

async function controllerLoad(rig: Rig): Promise<{ rssMb: number; lagP99Ms: number; lagMaxMs: number }> {
  const text = await (await fetch(`${rig.server.url}/metrics`)).text();
  const metric = (name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)`, 'm').exec(text)?.[1] ?? NaN) * 1000;
  return { rssMb: rssMb(rig.server.pid), lagP99Ms: metric('cc_nodejs_eventloop_lag_p99_seconds'), lagMaxMs: metric('cc_nodejs_eventloop_lag_max_seconds') };
}

export async function ramp(rig: Rig, mode: Mode, opts: { ceilingCores: number; step: number; max: number; deadlineMs: number }): Promise<CapacityResult> {
  const pids = [rig.asterisk.pid, rig.server.pid, ...rig.deskPhones.map((p) => p.pid), ...rig.customerPhones.map((p) => p.pid)];
  const seats = rig.seats.slice(0, opts.max);
  const base = established(rig);
  const deadline = Date.now() + opts.deadlineMs;
  const steps: CapacityResult['steps'] = [];
  let up = 0;
  let stopped = `all ${seats.length} calls up`;
  await controllerLoad(rig); // reading the lag resets it: what follows is this ramp's
  while (up < seats.length) {
    if (Date.now() > deadline) {
      stopped = 'time limit';
      break;
    }
    const batch = seats.slice(up, up + opts.step);
    await Promise.all(batch.map((seat) => startCall(rig, mode, seat)));
    if (!(await until(`${mode}: ${up + batch.length} calls connected`, () => established(rig) - base >= up + batch.length, 30_000))) {
      stopped = `calls stopped connecting at ${up + batch.length}`;
      up += batch.length;
      break;
    }
    up += batch.length;
    await sleep(1000); // let the new calls settle
    const phonePids = pids.slice(2);
    const c0 = [cpuSeconds([rig.asterisk.pid]), cpuSeconds([rig.server.pid]), cpuSeconds(phonePids)];
    const t0 = performance.now();
    await sleep(3000);
    const secs = (performance.now() - t0) / 1000;
    const c1 = [cpuSeconds([rig.asterisk.pid]), cpuSeconds([rig.server.pid]), cpuSeconds(phonePids)];
    const [ast, srv, ph] = c1.map((v, i) => (v - c0[i]!) / secs) as [number, number, number];
    const cores = ast + srv;
    steps.push({ calls: up, cores });
    console.log(`  ${mode}: ${String(up).padStart(3)} calls, asterisk ${ast.toFixed(2)} + server ${srv.toFixed(2)} cores (phones ${ph.toFixed(2)})`);
    if (cores >= opts.ceilingCores) {
      stopped = `ceiling of ${opts.ceilingCores} cores reached`;
      break;
    }
  }
  const media = await mediaCheck(rig, mode, seats.slice(0, up));
  const controller = await controllerLoad(rig);
  await endCalls(rig, mode, seats.slice(0, up));
  const { atCeiling, ceilingReached } = interpolate(steps, opts.ceilingCores);
  return { mode, steps, atCeiling, ceilingReached, stopped, media, controller };
}

// Calls at the ceiling, from a least-squares line through every step (CPU grows linearly with calls;
// one line is steadier than the two noisy steps around the ceiling). Extrapolated when not reached.
function interpolate(steps: CapacityResult['steps'], ceiling: number): { atCeiling: number; ceilingReached: boolean } {
  const ceilingReached = steps.some((s) => s.cores >= ceiling);
  if (steps.length < 2) return { atCeiling: steps.length ? (steps[0]!.calls * ceiling) / steps[0]!.cores : 0, ceilingReached };
  const n = steps.length;
  const mx = steps.reduce((a, s) => a + s.calls, 0) / n;
  const my = steps.reduce((a, s) => a + s.cores, 0) / n;
  const sxy = steps.reduce((a, s) => a + (s.calls - mx) * (s.cores - my), 0);
  const sxx = steps.reduce((a, s) => a + (s.calls - mx) ** 2, 0);
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  return { atCeiling: slope > 0 ? (ceiling - intercept) / slope : steps.at(-1)!.calls, ceilingReached };
}

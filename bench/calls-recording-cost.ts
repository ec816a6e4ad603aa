// bench:calls --record's mechanisms side by side (issue 18): CPU per call (Asterisk + the server, from
// /proc) of the same steady calls, not a ramp to saturation (the machine is shared). The controller
// places the calls; the bench's own ARI client then applies each mechanism to all of them, in A B C C B A
// order against drift: none; 'bridge', a bridge recording as the product makes it (the bridge goes from
// native RTP relaying to softmix mixing); 'snoop', a snoop channel on the agent's leg (spy both) recorded
// with channels.record, the call's bridge staying two-party; 'spy', that snoop channel unrecorded (what
// the snoop alone costs). Each window prints the bridges' technology. Then the same calls made by the
// dialplan alone, plain and with MixMonitor (placed anew for each, A B A). --desk-pcma: the desk phones
// answer in a-law, so every call is transcoded (PCMA to the customers' PCMU), as a browser's Opus is.
// Usage: npm run bench:recording-cost -- [--calls 15 --windows 3 --mechanisms bridge,snoop,spy --desk-pcma]
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { placeCall, endCall, until } from './calls-capacity.ts';
import { cpuSeconds, customerAnswered, startRig, type Rig } from './calls-rig.ts';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '15' }, windows: { type: 'string', default: '3' }, mechanisms: { type: 'string', default: 'bridge,snoop' }, 'desk-pcma': { type: 'boolean', default: false } } });
const CALLS = Number(values.calls);
const WINDOWS = Number(values.windows);
// spy: the snoop channel without its recording.
const MECHANISMS = ['bridge', 'snoop', 'spy'] as const;
type Mechanism = 'none' | (typeof MECHANISMS)[number];
const chosen = values.mechanisms.split(',') as Mechanism[];
if (chosen.some((m) => !(MECHANISMS as readonly string[]).includes(m))) throw new Error(`--mechanisms: some of ${MECHANISMS.join(',')}`);
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

async function bridgesByTechnology(rig: Rig): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const b of (await rig.ari.bridges.list()) as Array<{ id: string; technology?: string }>) if (b.id.startsWith('cc-leg-')) out[b.technology ?? '?'] = (out[b.technology ?? '?'] ?? 0) + 1;
  return out;
}

// Starts `mechanism` on every call; returns what undoes it.
async function apply(rig: Rig, mechanism: Mechanism, round: number): Promise<() => Promise<void>> {
  if (mechanism === 'none') return async () => {};
  const bridges = ((await rig.ari.bridges.list()) as Array<{ id: string }>).filter((b) => b.id.startsWith('cc-leg-'));
  const names: string[] = [];
  const snoops: string[] = [];
  const record = rig.ari as unknown as {
    bridges: { record(p: Record<string, unknown>): Promise<unknown> };
    channels: { record(p: Record<string, unknown>): Promise<unknown>; snoopChannelWithId(p: Record<string, unknown>): Promise<unknown> };
    recordings: { stop(p: Record<string, unknown>): Promise<unknown>; deleteStored(p: Record<string, unknown>): Promise<unknown> };
  };
  for (const b of bridges) {
    const legId = b.id.slice('cc-leg-'.length);
    const name = `cost-${mechanism}-${round}-${legId}`;
    if (mechanism === 'bridge') {
      await record.bridges.record({ bridgeId: b.id, name, format: 'wav', beep: false, terminateOn: 'none', ifExists: 'overwrite' });
    } else {
      const snoopId = `cost-snoop-${round}-${legId}`;
      const entered = rig.tap.wait((e) => e.type === 'StasisStart' && e.channel?.id === snoopId, `${snoopId} in Stasis`);
      await record.channels.snoopChannelWithId({ channelId: `cc-${legId}-agent`, snoopId, app: 'bench', spy: 'both', whisper: 'none' });
      await entered;
      if (mechanism === 'snoop') await record.channels.record({ channelId: snoopId, name, format: 'wav', beep: false, terminateOn: 'none', ifExists: 'overwrite' });
      snoops.push(snoopId);
    }
    names.push(name);
  }
  return async () => {
    for (const name of names) await record.recordings.stop({ recordingName: name }).catch(() => {});
    for (const id of snoops) await rig.ari.channels.hangup({ channelId: id }).catch(() => {});
    await sleep(500);
    for (const name of names) await record.recordings.deleteStored({ recordingName: name }).catch(() => {});
  };
}

async function measure(rig: Rig, seconds: number): Promise<{ ast: number; srv: number }> {
  const a0 = cpuSeconds([rig.asterisk.pid]);
  const s0 = cpuSeconds([rig.server.pid]);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const secs = (performance.now() - t0) / 1000;
  return { ast: (cpuSeconds([rig.asterisk.pid]) - a0) / secs, srv: (cpuSeconds([rig.server.pid]) - s0) / secs };
}

// The same calls made by the dialplan alone (Dial), plain and with MixMonitor (an audiohook writing the
// file from its own thread, no snoop channel), placed anew for each, in A B A order.
async function dialplanMixMonitor(rig: Rig): Promise<void> {
  const totals = { 'bench-dialplan': { cores: 0, windows: 0 }, 'bench-dialplan-mixmonitor': { cores: 0, windows: 0 } };
  for (const [round, context] of (['bench-dialplan', 'bench-dialplan-mixmonitor', 'bench-dialplan'] as const).entries()) {
    await until('no channels left', async () => (await rig.ari.channels.list()).length === 0, 30_000);
    const answered = await Promise.all(
      rig.seats.map(async (seat) => {
        const up = customerAnswered(rig.tap, seat.number, 30_000).then(() => true, () => false);
        await rig.ari.channels.originate({ endpoint: `PJSIP/${seat.id}-desk`, context, extension: seat.number, priority: 1, channelId: `dp${round}-${seat.id}`, callerId: seat.number, timeout: 30 } as never);
        return up;
      }),
    );
    if (answered.some((ok) => !ok)) throw new Error(`${context}: ${answered.filter((ok) => !ok).length} calls not answered`);
    await sleep(3000);
    for (let w = 0; w < WINDOWS; w++) {
      const { ast, srv } = await measure(rig, 5);
      totals[context].cores += ast + srv;
      totals[context].windows++;
      console.log(`  ${context.padEnd(26)} window ${w + 1}: asterisk ${(1000 * ast).toFixed(0)} mcores = ${((1000 * (ast + srv)) / CALLS).toFixed(1)} mcores/call; load ${load()}`);
    }
    await Promise.allSettled(rig.seats.map((seat) => rig.ari.channels.hangup({ channelId: `dp${round}-${seat.id}` })));
  }
  const perCall = (c: keyof typeof totals) => (1000 * totals[c].cores) / totals[c].windows / CALLS;
  console.log(`dialplan Dial(): plain ${perCall('bench-dialplan').toFixed(1)}, with MixMonitor ${perCall('bench-dialplan-mixmonitor').toFixed(1)} mcores per call; ratio ${(perCall('bench-dialplan') / perCall('bench-dialplan-mixmonitor')).toFixed(2)}x`);
}

async function main(): Promise<void> {
  const desk = values['desk-pcma'] ? 'PCMA desk phones to PCMU customers: transcoded' : 'PCMU phones both sides';
  console.log(`recording cost: ${CALLS} steady calls (SIPp, ${desk}; through the controller); load average ${load()}`);
  const rig = await startRig({ agents: CALLS, numberOf: (i) => `+1555300${String(i).padStart(4, '0')}`, rtp: 'stream', deskPcma: values['desk-pcma'] });
  const totals = Object.fromEntries(['none', ...MECHANISMS].map((m) => [m, { cores: 0, windows: 0 }])) as Record<Mechanism, { cores: number; windows: number }>;
  try {
    const answered = await Promise.all(rig.seats.map((seat) => placeCall(rig, 'controller', seat, `x-${seat.id}`)));
    if (answered.some((ok) => !ok)) throw new Error(`${answered.filter((ok) => !ok).length} calls not answered`);
    await sleep(2000);
    const forth: Mechanism[] = ['none', ...chosen];
    const order = [...forth, ...forth.toReversed()];
    for (const [round, mechanism] of order.entries()) {
      const undo = await apply(rig, mechanism, round);
      await sleep(2000);
      const tech = await bridgesByTechnology(rig);
      for (let w = 0; w < WINDOWS; w++) {
        const { ast, srv } = await measure(rig, 5);
        totals[mechanism].cores += ast + srv;
        totals[mechanism].windows++;
        console.log(`  ${mechanism.padEnd(6)} window ${w + 1}: asterisk ${(1000 * ast).toFixed(0)} + server ${(1000 * srv).toFixed(0)} mcores = ${((1000 * (ast + srv)) / CALLS).toFixed(1)} mcores/call; bridges ${JSON.stringify(tech)}; load ${load()}`);
      }
      await undo();
    }
    const perCall = (m: Mechanism) => (1000 * totals[m].cores) / totals[m].windows / CALLS;
    console.log(`\nmean CPU per call (Asterisk + server): ${forth.map((m) => `${m} ${perCall(m).toFixed(1)}`).join(', ')} mcores`);
    console.log(`calls at a ceiling in proportion, to none: ${chosen.map((m) => `${m} ${(perCall('none') / perCall(m)).toFixed(2)}x`).join(', ')} (target for a recording >= 0.8x)`);
    await Promise.allSettled(rig.seats.map((seat) => endCall(rig, 'controller', seat, `x-${seat.id}`)));
    await dialplanMixMonitor(rig);
  } finally {
    await rig.stop();
  }
}

await main();

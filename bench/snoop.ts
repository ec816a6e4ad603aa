// bench:snoop: Listen click to the supervisor hearing the call, p50 and p99 over 50 tries, beside a
// bare ari-client doing the same to the same call in the same run (target: the controller adds at most
// 5 ms at p50). "Hearing" is the moment the supervisor's phone and the snoop channel on the agent's
// channel are both in the supervisor's bridge (ChannelEnteredBridge of the second, seen by a second ARI
// client subscribed to everything): from then Asterisk sends the call's audio to the phone with the
// next 20 ms frame, the same for both. Both ring the same supervisor desk phone (SIPp, answers at once)
// and snoop the same agent channel of one call in progress (bench/calls-rig.ts); the two alternate,
// which goes first flipping every round.
import { mkdtemp } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AriEvent } from '../src/ari/index.ts';
import { login } from '../test/helpers/fixtures.ts';
import { removeDir } from '../test/helpers/server.ts';
import { deskPasswordOf } from '../test/helpers/voice.ts';
import { BENCH_APP, customerAnswered, percentile, startRig, type Rig } from './calls-rig.ts';
import { writePcmu } from './sipp/pcmu.ts';
import { SippPhones } from './sipp/phones.ts';

const TRIES = Number(process.env.SNOOP_TRIES ?? 50);
const TARGET_MS = 5;
const SUPERVISOR = 'agent1'; // the demo's admin

type Bridged = AriEvent & { bridge?: { id: string; channels: string[] } };
// The second member entered the bridge: phone and snoop are joined.
const bothIn = (bridgeId: (id: string) => boolean) => (e: Bridged) => e.type === 'ChannelEnteredBridge' && !!e.bridge && bridgeId(e.bridge.id) && e.bridge.channels.length === 2;
const destroyed = (match: (id: string) => boolean) => (e: AriEvent) => e.type === 'ChannelDestroyed' && !!e.channel && match(e.channel.id);

async function throughController(rig: Rig, supervisor: { cookie: string; csrf: string }, chatId: string): Promise<number> {
  const heard = rig.tap.wait(bothIn((id) => id.startsWith('sv-')), 'controller: supervisor bridged');
  const t0 = performance.now();
  const res = await rig.post(supervisor, `/supervisor/interactions/${chatId}/listen`);
  const body = await res.text();
  if (!res.ok) throw new Error(`POST listen: HTTP ${res.status} ${body.slice(0, 300)}`);
  const { at } = await heard;
  const gone = rig.tap.wait(destroyed((id) => id.startsWith('sv-') && id.endsWith('-phone')), 'supervisor phone gone');
  await (await rig.post(supervisor, `/supervisor/interactions/${chatId}/stop`)).text();
  await gone;
  return at - t0;
}

async function bare(rig: Rig, agentChannelId: string, n: number): Promise<number> {
  const { ari, tap } = rig;
  const phone = `bare-${n}-phone`;
  const snoopId = `bare-${n}-snoop`;
  const bridgeId = `bare-${n}`;
  const answered = tap.wait((e) => e.type === 'StasisStart' && e.channel?.id === phone, 'bare: phone answered');
  const snooping = tap.wait((e) => e.type === 'StasisStart' && e.channel?.id === snoopId, 'bare: snoop in the app');
  const heard = tap.wait(bothIn((id) => id === bridgeId), 'bare: bridged');
  const t0 = performance.now();
  const bridged = ari.bridges.create({ type: 'mixing', bridgeId, name: bridgeId });
  await ari.channels.originate({ endpoint: `PJSIP/${SUPERVISOR}-desk`, app: BENCH_APP, appArgs: 'supervisor', channelId: phone, callerId: '"Supervision" <supervision>', timeout: 30 });
  await answered;
  await ari.channels.snoopChannelWithId({ channelId: agentChannelId, snoopId, app: BENCH_APP, appArgs: 'snoop', spy: 'both', whisper: 'none' });
  await snooping;
  await bridged;
  await ari.bridges.addChannel({ bridgeId, channel: [phone, snoopId] });
  const { at } = await heard;
  const gone = tap.wait(destroyed((id) => id === phone), 'bare phone gone');
  await ari.channels.hangup({ channelId: snoopId });
  await ari.channels.hangup({ channelId: phone });
  await ari.bridges.destroy({ bridgeId });
  await gone;
  return at - t0;
}

const fmt = (ms: number) => ms.toFixed(1).padStart(7);

async function main(): Promise<void> {
  const number = '+15551239901';
  const rig = await startRig({ agents: 1, numberOf: () => number, rtp: 'stream' });
  const sippDir = await mkdtemp(join(tmpdir(), 'mcc-bench-snoop-'));
  let phone: SippPhones | undefined;
  try {
    const seat = rig.seats[0]!;
    const audio = join(sippDir, 'tone.ulaw');
    await writePcmu(audio, 'stream', 30);
    phone = await SippPhones.start({
      name: 'supervisor',
      dir: sippDir,
      accounts: [{ user: `${SUPERVISOR}-desk`, password: await deskPasswordOf(rig.server, SUPERVISOR) }],
      asteriskSipPort: rig.asterisk.sipUdpPort,
      rtp: 'stream',
      audio,
      audioMs: 30_000,
      maxSeconds: 3600,
    });
    // The call to supervise: the bench agent calls its chat's customer.
    const answered = customerAnswered(rig.tap, number, 20_000);
    await (await rig.post(seat, `/desktop/interactions/${seat.chatId}/call`)).text();
    await answered;
    const agentChannel = (await rig.ari.channels.list()).find((c) => c.id.startsWith('cc-') && c.id.endsWith('-agent'));
    if (!agentChannel) throw new Error("the call's agent channel is not up");
    const supervisor = await login(rig.server, SUPERVISOR, 'demo');

    // One of each first, not counted (connections, caches, the first snoop module use).
    await throughController(rig, supervisor, seat.chatId);
    await bare(rig, agentChannel.id, 0);
    const controller: number[] = [];
    const raw: number[] = [];
    for (let i = 1; i <= TRIES; i++) {
      const both = [async () => controller.push(await throughController(rig, supervisor, seat.chatId)), async () => raw.push(await bare(rig, agentChannel.id, i))];
      if (i % 2) both.reverse();
      for (const run of both) await run();
    }
    controller.sort((a, b) => a - b);
    raw.sort((a, b) => a - b);
    const [c50, c99, r50, r99] = [percentile(controller, 50), percentile(controller, 99), percentile(raw, 50), percentile(raw, 99)];
    console.log(`bench:snoop: Listen click to the supervisor bridged with the snoop (hearing the call), ${TRIES} tries each, interleaved, load average ${loadavg()[0]!.toFixed(2)}`);
    console.log('                                 p50 ms  p99 ms');
    console.log(`  controller (POST .../listen) ${fmt(c50)} ${fmt(c99)}`);
    console.log(`  bare ari-client              ${fmt(r50)} ${fmt(r99)}`);
    const added = c50 - r50;
    console.log(`  added by the controller at p50: ${added.toFixed(1)} ms (ratio ${(c50 / r50).toFixed(2)}x); target: at most ${TARGET_MS} ms: ${added <= TARGET_MS ? 'met' : 'NOT met'}`);
  } finally {
    await phone?.stop();
    await rig.stop();
    await removeDir(sippDir);
  }
}

await main();

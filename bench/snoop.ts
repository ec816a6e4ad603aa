// bench:snoop: Listen click to the supervisor hearing the call, p50 and p99 over 50 tries, beside a
// bare ari-client doing the same to the same call in the same run (target: the controller adds at most
// 5 ms at p50). "Hearing" is the first audible RTP packet at the supervisor's desk phone (a listening
// SIP phone of the bench's, bench/sip-listener.ts, answering at once); printed too is the moment the
// phone and the snoop channel on the agent's channel were both in a bridge (ChannelEnteredBridge of
// the second, seen by a second ARI client subscribed to everything). Both ring the same phone and snoop
// the same agent channel of one call in progress between two SIPp phones sending a tone
// (bench/calls-rig.ts); the two alternate, which goes first flipping every round.
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { AriEvent } from '../src/ari/index.ts';
import { agentGet } from '../test/helpers/desktop-client.ts';
import { eventually } from '../test/helpers/eventually.ts';
import { login } from '../test/helpers/fixtures.ts';
import { deskPasswordOf } from '../test/helpers/voice.ts';
import { BENCH_APP, customerAnswered, percentile, startRig, type Rig } from './calls-rig.ts';
import { SipListener } from './sip-listener.ts';

const TRIES = Number(process.env.SNOOP_TRIES ?? 50);
const TARGET_MS = 5;
const SUPERVISOR = 'agent1'; // the demo's admin

type Bridged = AriEvent & { bridge?: { id: string; channels: string[] } };
// The second member entered the bridge: phone and snoop are joined.
const bothIn = (bridgeId: (id: string) => boolean) => (e: Bridged) => e.type === 'ChannelEnteredBridge' && !!e.bridge && bridgeId(e.bridge.id) && e.bridge.channels.length === 2;
const destroyed = (match: (id: string) => boolean) => (e: AriEvent) => e.type === 'ChannelDestroyed' && !!e.channel && match(e.channel.id);

// Milliseconds from the start to the supervisor's phone and the snoop joined in a bridge, and to the
// first audible packet at the phone.
type Try = { bridged: number; heard: number };

async function throughController(rig: Rig, phone: SipListener, supervisor: { cookie: string; csrf: string }, chatId: string): Promise<Try> {
  const bridged = rig.tap.wait(bothIn((id) => id.startsWith('sv-')), 'controller: supervisor bridged');
  const heard = phone.nextAudio();
  const t0 = performance.now();
  const res = await rig.post(supervisor, `/supervisor/interactions/${chatId}/listen`);
  const body = await res.text();
  if (!res.ok) throw new Error(`POST listen: HTTP ${res.status} ${/role="alert">([^<]*)/.exec(body)?.[1] ?? body.slice(0, 300)}`);
  const [{ at }, audio] = await Promise.all([bridged, heard]);
  const gone = rig.tap.wait(destroyed((id) => id.startsWith('sv-') && id.endsWith('-phone')), 'supervisor phone gone');
  await (await rig.post(supervisor, `/supervisor/interactions/${chatId}/stop`)).text();
  await gone;
  return { bridged: at - t0, heard: audio - t0 };
}

async function bare(rig: Rig, phone: SipListener, agentChannelId: string, n: number): Promise<Try> {
  const { ari, tap } = rig;
  const phoneId = `bare-${n}-phone`;
  const snoopId = `bare-${n}-snoop`;
  const bridgeId = `bare-${n}`;
  const answered = tap.wait((e) => e.type === 'StasisStart' && e.channel?.id === phoneId, 'bare: phone answered');
  const snooping = tap.wait((e) => e.type === 'StasisStart' && e.channel?.id === snoopId, 'bare: snoop in the app');
  const bridgedEvent = tap.wait(bothIn((id) => id === bridgeId), 'bare: bridged');
  const heard = phone.nextAudio();
  const t0 = performance.now();
  const bridged = ari.bridges.create({ type: 'mixing', bridgeId, name: bridgeId });
  await ari.channels.originate({ endpoint: `PJSIP/${SUPERVISOR}-desk`, app: BENCH_APP, appArgs: 'supervisor', channelId: phoneId, callerId: '"Supervision" <supervision>', timeout: 30 });
  await answered;
  await ari.channels.snoopChannelWithId({ channelId: agentChannelId, snoopId, app: BENCH_APP, appArgs: 'snoop', spy: 'both', whisper: 'none' });
  await snooping;
  await bridged;
  await ari.bridges.addChannel({ bridgeId, channel: [phoneId, snoopId] });
  const [{ at }, audio] = await Promise.all([bridgedEvent, heard]);
  const gone = tap.wait(destroyed((id) => id === phoneId), 'bare phone gone');
  await ari.channels.hangup({ channelId: snoopId });
  await ari.channels.hangup({ channelId: phoneId });
  await ari.bridges.destroy({ bridgeId });
  await gone;
  return { bridged: at - t0, heard: audio - t0 };
}

const fmt = (ms: number) => ms.toFixed(1).padStart(7);

function row(label: string, tries: Try[], key: keyof Try): { p50: number; p99: number; line: string } {
  const sorted = tries.map((t) => t[key]).sort((a, b) => a - b);
  const [p50, p99] = [percentile(sorted, 50), percentile(sorted, 99)];
  return { p50, p99, line: `  ${label.padEnd(30)}${fmt(p50)} ${fmt(p99)}` };
}

async function main(): Promise<void> {
  const number = '+15551239901';
  const rig = await startRig({ agents: 1, numberOf: () => number, rtp: 'stream' });
  let phone: SipListener | undefined;
  try {
    const seat = rig.seats[0]!;
    phone = await SipListener.start({ user: `${SUPERVISOR}-desk`, password: await deskPasswordOf(rig.server, SUPERVISOR), asteriskSipPort: rig.asterisk.sipUdpPort });
    // The call to supervise: the bench agent calls its chat's customer (both SIPp phones send a tone).
    const answered = customerAnswered(rig.tap, number, 20_000);
    await (await rig.post(seat, `/desktop/interactions/${seat.chatId}/call`)).text();
    await answered;
    const agentChannel = (await rig.ari.channels.list()).find((c) => c.id.startsWith('cc-') && c.id.endsWith('-agent'));
    if (!agentChannel) throw new Error("the call's agent channel is not up");
    const supervisor = await login(rig.server, SUPERVISOR, 'demo');
    // The rules count the call connected a moment after Asterisk does.
    await eventually('call connected', async () => ((await (await agentGet(supervisor, `/supervisor/interactions/${seat.chatId}/call`, { htmx: true })).text()).includes('call-connected') ? true : undefined), 10_000);

    // One of each first, not counted (connections, caches, the first use of the snoop module).
    await throughController(rig, phone, supervisor, seat.chatId);
    await bare(rig, phone, agentChannel.id, 0);
    const controller: Try[] = [];
    const raw: Try[] = [];
    for (let i = 1; i <= TRIES; i++) {
      const both = [async () => controller.push(await throughController(rig, phone!, supervisor, seat.chatId)), async () => raw.push(await bare(rig, phone!, agentChannel.id, i))];
      if (i % 2) both.reverse();
      for (const run of both) await run();
    }
    console.log(`bench:snoop: Listen click to the supervisor hearing the call, ${TRIES} tries each, interleaved, load average ${loadavg()[0]!.toFixed(2)}`);
    console.log('                                  p50 ms  p99 ms');
    const heard = [row('controller: first audio', controller, 'heard'), row('bare ari-client: first audio', raw, 'heard')];
    const bridged = [row('controller: bridged', controller, 'bridged'), row('bare ari-client: bridged', raw, 'bridged')];
    for (const r of [...heard, ...bridged]) console.log(r.line);
    const added = heard[0]!.p50 - heard[1]!.p50;
    console.log(`  added by the controller to the first audio at p50: ${added.toFixed(1)} ms (ratio ${(heard[0]!.p50 / heard[1]!.p50).toFixed(2)}x); target: at most ${TARGET_MS} ms: ${added <= TARGET_MS ? 'met' : 'NOT met'}`);
  } finally {
    phone?.stop();
    await rig.stop();
  }
}

await main();

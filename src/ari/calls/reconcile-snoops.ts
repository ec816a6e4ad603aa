import { isLive, type CallLeg } from '../../domain/call-leg.ts';
import { isSupervising, MODE_OF, type Supervision } from '../../domain/supervision.ts';
import type { Ari } from '../client.ts';
import { ignoreNotFound } from '../errors.ts';
import { channelIdOf, isSnoopOf, isSupervisionChannelOrBridge, supervisionBridgeIdOf, supervisorChannelIdOf } from './channel-names.ts';
import { AWAY, LOST_WITH_ASTERISK } from './reconcile.ts';
import type { AriSnoops, SupervisionEventSink } from './snoops.ts';

// After every (re)connect, like the call legs (reconcile.ts): the supervisors the rules think are on a
// call are matched against Asterisk's channels. A supervisor whose phone and call are both still up is
// adopted (the restarted controller can change their mode and take them off); any other is reported
// ended; supervisors' channels and bridges that belong to nobody are removed. `legs` are the legs live
// before the call legs were reconciled and any other a supervisor is still on (released while ARI was
// away), so a call found ended, or ended meanwhile, takes its supervisors with it.
export async function reconcileSupervisions(opts: {
  ari: Ari;
  legs: CallLeg[];
  snoops: AriSnoops;
  onEvent: SupervisionEventSink;
}): Promise<{ adopted: number; ended: number; strays: number }> {
  const { ari, snoops, onEvent } = opts;
  const channels = await ari.channels.list();
  const up = new Set(channels.map((c) => c.id));
  let adopted = 0;
  let ended = 0;
  for (const { leg, supervision: s } of liveSupervisions(opts.legs)) {
    // Stopped while this ran (leaving needs no Asterisk): not taken back; its channels are strays.
    if (!isSupervising(s)) continue;
    const phoneChannelId = supervisorChannelIdOf(s.id);
    // A leg the rules hold ended is over, whatever of it Asterisk still has (a stray reconcile.ts removes).
    const callUp = isLive(leg) && up.has(channelIdOf(leg.id, 'agent', leg.agentTurn ?? 0));
    if (callUp && up.has(phoneChannelId)) {
      if (!snoops.supervisions.has(s.id)) {
        snoops.adopt({
          supervisionId: s.id,
          interactionId: leg.interactionId,
          legId: leg.id,
          supervisorId: s.supervisorId,
          phoneChannelId,
          bridgeId: supervisionBridgeIdOf(s.id),
          snoopChannelId: channels.find((c) => isSnoopOf(s.id, c.id))?.id ?? null,
          answered: s.state !== 'joining',
          mode: s.state === 'ended' ? 'listen' : MODE_OF[s.state],
        });
        adopted += 1;
      }
      continue;
    }
    snoops.forget(s.id);
    await ari.channels.hangup({ channelId: phoneChannelId }).catch(ignoreNotFound);
    await onEvent(leg.interactionId, s.id, !callUp ? 'call_ended' : s.state === 'joining' ? 'fail' : 'hangup', AWAY);
    ended += 1;
  }
  const tracked = new Set([...snoops.supervisions.values()].flatMap((sv) => [sv.phoneChannelId, sv.snoopChannelId, sv.bridgeId]));
  let strays = 0;
  for (const channel of channels) {
    if (!isSupervisionChannelOrBridge(channel.id) || tracked.has(channel.id)) continue;
    await ari.channels.hangup({ channelId: channel.id }).catch(ignoreNotFound);
    strays += 1;
  }
  for (const bridge of await ari.bridges.list()) {
    if (!isSupervisionChannelOrBridge(bridge.name) || tracked.has(bridge.id)) continue;
    await ari.bridges.destroy({ bridgeId: bridge.id }).catch(ignoreNotFound);
    strays += 1;
  }
  return { adopted, ended, strays };
}

// The local Asterisk died with the calls (releaseLostCalls): their supervisors are off them too.
export async function releaseLostSupervisions(opts: { liveLegs: CallLeg[]; snoops: AriSnoops; onEvent: SupervisionEventSink }): Promise<void> {
  for (const { leg, supervision } of liveSupervisions(opts.liveLegs)) {
    opts.snoops.forget(supervision.id);
    await opts.onEvent(leg.interactionId, supervision.id, 'call_ended', LOST_WITH_ASTERISK);
  }
}

function liveSupervisions(legs: CallLeg[]): Array<{ leg: CallLeg; supervision: Supervision }> {
  return legs.flatMap((leg) => (leg.supervisions ?? []).filter(isSupervising).map((supervision) => ({ leg, supervision })));
}

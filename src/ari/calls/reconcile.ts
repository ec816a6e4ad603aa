import { isLive, type CallLeg } from '../../domain/call-leg.ts';
import type { Ari } from '../client.ts';
import { ignoreNoMusic, ignoreNotFound } from '../errors.ts';
import type { AriCallLegs, AriLeg, CallEventSink } from './call-legs.ts';
import { bridgeIdOf, channelIdOf, isOurBridge, isOurChannel } from './channel-names.ts';

// Either side may have been away: the controller (restarted) or Asterisk (restarted, or ARI unreachable).
export const AWAY = 'ended while the controller was out of touch with Asterisk';

// After every (re)connect: legs the rules think are live are matched against Asterisk's channels.
// Live channels are adopted (a restarted controller keeps its calls); legs whose channels are gone are
// reported ended; channels and bridges of ours that belong to no live leg are removed. Nothing stays
// "connected" that is not. Answers Asterisk saw that the rules never heard are taken up by `later`,
// run once the connection is up (they dial, and start recordings, through it).
// A reconcile that fails part way (an ARI request refused) fails the connect, and the next connect's
// runs again whole: the calls this one adopted are let go, so that one adopts them again with what
// they still need (their phones put back in the bridge, their hold, the answers missed).
export async function reconcileCalls(opts: ReconcileOptions): Promise<Reconciled> {
  const adopted: string[] = [];
  try {
    return await matchCalls(opts, adopted);
  } catch (err) {
    for (const legId of adopted) opts.callLegs.forget(legId);
    throw err;
  }
}

interface ReconcileOptions {
  ari: Ari;
  liveLegs: CallLeg[];
  callLegs: AriCallLegs;
  onEvent: CallEventSink;
}

type Reconciled = { adopted: number; ended: number; strays: number; bridgesRemoved: number; later: Array<() => Promise<void>> };

async function matchCalls(opts: ReconcileOptions, adoptedLegs: string[]): Promise<Reconciled> {
  const { ari, callLegs, onEvent } = opts;
  const channels = await ari.channels.list();
  const up = new Set(channels.map((c) => c.id));
  const answered = (channelId: string) => channels.some((c) => c.id === channelId && c.state === 'Up');
  // New agents' phones ringing for a transfer are the call's, not strays; one answered meanwhile moves
  // the call once the connection is up, unless the call ended meanwhile (below: its ring ends then).
  const ringing = callLegs.rings.lost(up);
  const hungUp = new Set<string>();
  let adopted = 0;
  let ended = 0;
  // Adopted calls the rules have connected (not on hold): both phones belong in the leg's bridge.
  const rejoin: AriLeg[] = [];
  const held: AriLeg[] = [];
  const later: Array<() => Promise<void>> = ringing.filter(answered).map((channelId) => async () => callLegs.rings.answeredMeanwhile(channelId));
  for (const leg of opts.liveLegs) {
    // Released while this ran (a release needs no Asterisk): not taken back; its channels are strays.
    if (!isLive(leg)) continue;
    const agentChannelId = channelIdOf(leg.id, 'agent', leg.agentTurn ?? 0);
    const customerChannelId = channelIdOf(leg.id, 'customer');
    const agentUp = up.has(agentChannelId);
    const customerUp = up.has(customerChannelId);
    // Only while the agent's phone rings is the customer not dialled yet: from then on (the customer's
    // originate returned) a customer channel that is gone ended, and no event of it will come.
    const bothNeeded = leg.state !== 'dialing_agent';
    const talking = leg.state === 'connected' || leg.state === 'on_hold';
    if (agentUp && (customerUp || !bothNeeded)) {
      if (!callLegs.legs.has(leg.id)) {
        // Answers Asterisk saw that the rules never heard (the controller died between the two): the
        // call is taken up as it is, not as it was stored.
        const agentAnswered = leg.state !== 'dialing_agent' || answered(agentChannelId);
        const customerAnswered = talking || (agentAnswered && answered(customerChannelId));
        // The agent answered and the customer was not dialled yet: the answer is taken up as if heard now.
        const dialNow = leg.state === 'dialing_agent' && agentAnswered && !customerUp;
        const ariLeg: AriLeg = {
          legId: leg.id,
          interactionId: leg.interactionId,
          serviceId: leg.serviceId,
          customerNumber: leg.customerNumber,
          bridgeId: bridgeIdOf(leg.id),
          agentChannelId,
          customerChannelId,
          agentUp: agentAnswered && !dialNow,
          customerUp: customerAnswered,
          customerDialed: leg.state !== 'dialing_agent' || customerUp,
          customerHeld: leg.state === 'on_hold',
        };
        callLegs.adopt(ariLeg);
        adoptedLegs.push(leg.id);
        const report = (event: 'agent_answered' | 'customer_answered') => () => onEvent(leg.interactionId, leg.id, event);
        if (dialNow) later.push(() => callLegs.answeredMeanwhile(ariLeg, 'agent', onEvent));
        else if (leg.state === 'dialing_agent' && agentAnswered) later.push(report('agent_answered'));
        if (customerAnswered && !talking) later.push(report('customer_answered'));
        if (leg.state === 'connected' || (customerAnswered && !talking)) rejoin.push(ariLeg);
        if (leg.state === 'on_hold') held.push(ariLeg);
        adopted += 1;
      } else later.push(...answersMissed(callLegs.legs.get(leg.id)!, answered, (role, ariLeg) => callLegs.answeredMeanwhile(ariLeg, role, onEvent)));
      continue;
    }
    // Half a call is no call: hang up what is left and report the leg ended.
    callLegs.forget(leg.id);
    for (const channelId of [agentChannelId, customerChannelId]) {
      if (!up.has(channelId)) continue;
      await ari.channels.hangup({ channelId }).catch(ignoreNotFound);
      hungUp.add(channelId);
    }
    const event = talking ? 'customer_hangup' : 'fail';
    await onEvent(leg.interactionId, leg.id, event, AWAY);
    ended += 1;
  }
  // A consult goes on across a brief drop of the event stream (Asterisk kept its channels): its phone and
  // bridge are the leg's; a consulted phone that ended meanwhile ends the consult as if heard.
  const consults = [...callLegs.legs.values()].flatMap((l) => (l.consult ? [{ leg: l, consult: l.consult }] : []));
  for (const { leg, consult } of consults) if (!up.has(consult.channelId)) callLegs.consultVanished(ari, leg, AWAY);
  // Channels of ours that belong to no live leg (placed just before a crash, or a leg ended meanwhile).
  const tracked = new Set([
    ...[...callLegs.legs.values()].flatMap((l) => [l.agentChannelId, l.customerChannelId]),
    ...consults.map(({ consult }) => consult.channelId),
    ...ringing,
  ]);
  let strays = 0;
  for (const channel of channels) {
    if (!isOurChannel(channel.id) || tracked.has(channel.id) || hungUp.has(channel.id)) continue;
    await ari.channels.hangup({ channelId: channel.id }).catch(ignoreNotFound);
    strays += 1;
  }
  let bridgesRemoved = 0;
  const known = new Set([...[...callLegs.legs.values()].map((l) => l.bridgeId), ...consults.map(({ consult }) => consult.bridgeId)]);
  const bridges = await ari.bridges.list();
  for (const bridge of bridges) {
    if (!isOurBridge(bridge.name) || known.has(bridge.id)) continue;
    await ari.bridges.destroy({ bridgeId: bridge.id }).catch(ignoreNotFound);
    bridgesRemoved += 1;
  }
  // A consult the controller did not come back to had the customer in the leg's bridge with its music
  // on hold and the agent in the consult's bridge (just removed): the rules ended the consult, so the
  // agent rejoins the leg's bridge and the music stops. (A customer held out of the bridge, as before
  // this release, hears its own music: it is stopped, and the customer bridged again.)
  for (const leg of rejoin) {
    const bridge = bridges.find((b) => b.id === leg.bridgeId);
    const missing = [leg.agentChannelId, leg.customerChannelId].filter((c) => !bridge?.channels.includes(c));
    if (!bridge || missing.length === 0) continue;
    if (missing.includes(leg.customerChannelId)) await ari.channels.stopMoh({ channelId: leg.customerChannelId }).catch(ignoreNotFound);
    await ari.bridges.addChannel({ bridgeId: leg.bridgeId, channel: missing });
    await ari.bridges.stopMoh({ bridgeId: leg.bridgeId }).catch(ignoreNoMusic);
  }
  // A call held by a controller before this release (its leader in a rolling upgrade): the customer on
  // its own music out of the bridge, the agent in it. Held as this release holds (the agent's phone out,
  // the customer in, the music in the bridge), so taking it back and its recording work as for any call.
  for (const leg of held) {
    const bridge = bridges.find((b) => b.id === leg.bridgeId);
    if (!bridge || bridge.channels.includes(leg.customerChannelId)) continue;
    // The customer joins before the agent leaves: a bridge left with its recorder alone ends the recording.
    await ari.channels.stopMoh({ channelId: leg.customerChannelId }).catch(ignoreNotFound);
    await ari.bridges.addChannel({ bridgeId: leg.bridgeId, channel: leg.customerChannelId });
    await ari.bridges.startMoh({ bridgeId: leg.bridgeId });
    if (bridge.channels.includes(leg.agentChannelId)) await ari.bridges.removeChannel({ bridgeId: leg.bridgeId, channel: leg.agentChannelId });
  }
  return { adopted, ended, strays, bridgesRemoved, later };
}

// A leg kept across a short drop of the event stream: an answer Asterisk saw meanwhile sent no event
// that will come again, so it is taken up as if heard (the agent's first: it dials the customer).
function answersMissed(leg: AriLeg, answered: (channelId: string) => boolean, takeUp: (role: 'agent' | 'customer', leg: AriLeg) => Promise<void>): Array<() => Promise<void>> {
  if (!leg.agentUp && answered(leg.agentChannelId)) return [() => takeUp('agent', leg)];
  if (leg.customerDialed && !leg.customerUp && answered(leg.customerChannelId)) return [() => takeUp('customer', leg)];
  return [];
}

// The cause the timeline shows for a call that died with the Asterisk process carrying it.
export const LOST_WITH_ASTERISK = 'lost when Asterisk stopped';

// The local Asterisk ended (crash, kill -9): its channels died with it, so the live legs are reported
// ended now, with the cause, instead of showing "connected" until Asterisk is back. The reconcile
// after the restart then finds nothing left of them.
export async function releaseLostCalls(opts: { liveLegs: CallLeg[]; callLegs: AriCallLegs; onEvent: CallEventSink }): Promise<number> {
  for (const leg of opts.liveLegs) {
    opts.callLegs.forget(leg.id);
    await opts.onEvent(leg.interactionId, leg.id, 'fail', LOST_WITH_ASTERISK);
  }
  return opts.liveLegs.length;
}

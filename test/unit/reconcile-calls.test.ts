// After ARI was away (its event stream dropped, or the controller or Asterisk restarted), the calls the
// rules hold live are matched against what Asterisk still has: a call whose customer's phone ended
// meanwhile fails, with the agent's phone hung up, instead of showing "Ringing" to an agent who hears
// silence. The call adapters run against an in-memory ARI (test/helpers/fake-ari.ts).
// test/e2e/ari-away.test.ts plays a ringing call whose customer hangs up while ARI is away with a real
// Asterisk; this file keeps every state a leg can be found in, and the exact races.
import t from 'tap';
import { AriCallLegs } from '../../src/ari/calls/call-legs.ts';
import { AWAY, reconcileCalls } from '../../src/ari/calls/reconcile.ts';
import type { EndpointStates } from '../../src/ari/endpoints/endpoint-states.ts';
import { applyCallEvent, isLive, type CallLeg, type CallLegState } from '../../src/domain/call-leg.ts';
import { FakeAri } from '../helpers/fake-ari.ts';

const settled = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

// The rules' leg and the call adapter, on a fake Asterisk; what the adapter reports moves the leg.
function scene(state: CallLegState) {
  const ari = new FakeAri();
  const leg: CallLeg = { id: 'L1', interactionId: 'I1', serviceId: 's', agentId: 'alice', customerNumber: '+15550001', state, mute: 'unmuted', startedAt: 0, answeredAt: null, endedAt: null, cause: null };
  const onEvent = async (_i: string, _l: string, event: Parameters<typeof applyCallEvent>[1], cause?: string) => applyCallEvent(leg, event, 1, cause);
  const endpointStates = { firstOnline: async () => 'alice', forget: () => undefined } as unknown as EndpointStates;
  const legs = new AriCallLegs({ ari: ari.current, app: 'cc', agentEndpoints: () => ['alice'], endpointStates, customerEndpoint: (n) => `PJSIP/${n}@trunk`, onError: () => undefined });
  ari.onEvent = (event) => void legs.handle(event, onEvent);
  const reconcile = () => reconcileCalls({ ari: ari.current(), liveLegs: [leg].filter(isLive), callLegs: legs, onEvent });
  // As the connection runs it: the reconcile while the connection is not up yet (the adapters' own
  // ari() throws), what it leaves for later once it is.
  const reconnect = async () => {
    const client = ari.current();
    ari.up = false;
    const { later, ...result } = await reconcileCalls({ ari: client, liveLegs: [leg].filter(isLive), callLegs: legs, onEvent });
    ari.up = true;
    for (const takeUp of later) await takeUp();
    return result;
  };
  return { ari, leg, legs, onEvent, reconcile, reconnect };
}

for (const state of ['dialing_customer', 'ringing'] as const) {
  t.test(`a restarted controller finds a call ${state} whose customer's phone is gone: the call fails and the agent's phone is hung up`, async (t) => {
    const { ari, leg, legs, reconcile } = scene(state);
    ari.channels.add('cc-L1-agent');
    ari.bridges.set('cc-leg-L1', new Set());
    t.match(await reconcile(), { adopted: 0, ended: 1, strays: 0, bridgesRemoved: 1 });
    t.match(leg, { state: 'failed', cause: AWAY }, 'the desktop shows the call ended, and why');
    t.same([...ari.channels], [], "the agent's phone is hung up");
    t.notOk(legs.legs.has('L1'));
  });
}

t.test('the event stream drops while the customer is rung, and the customer hangs up meanwhile: the call fails once ARI is back', async (t) => {
  const { ari, leg, legs, onEvent, reconcile } = scene('dialing_agent');
  await legs.placeCall({ legId: 'L1', interactionId: 'I1', serviceId: 's', agentId: 'alice', customerNumber: '+15550001' });
  ari.enter('cc-L1-agent');
  await settled();
  await onEvent('I1', 'L1', 'customer_ringing');
  t.equal(leg.state, 'ringing');
  ari.channels.delete('cc-L1-customer'); // its ChannelDestroyed went with the event stream
  await reconcile();
  t.match(leg, { state: 'failed', cause: AWAY });
  t.same([...ari.channels], [], "the agent's phone is hung up");
  t.same([...ari.bridges.keys()], [], 'the bridge is removed');
});

t.test("a call whose agent's phone still rings is adopted: the customer is dialled once the agent answers", async (t) => {
  const { ari, leg, reconcile } = scene('dialing_agent');
  ari.channels.add('cc-L1-agent');
  ari.bridges.set('cc-leg-L1', new Set());
  t.match(await reconcile(), { adopted: 1, ended: 0 });
  ari.enter('cc-L1-agent');
  await settled();
  t.ok(ari.channels.has('cc-L1-customer'), 'the customer is dialled');
  t.equal(leg.state, 'dialing_customer');
});

// The controller died between an answer and telling the rules of it: the call is taken up as Asterisk
// has it, not as it was stored (a new leader of a cluster, a restarted controller).
t.test("an agent's answer the rules never heard: the customer is dialled at once", async (t) => {
  const { ari, leg, reconnect } = scene('dialing_agent');
  ari.channels.add('cc-L1-agent');
  ari.answered.add('cc-L1-agent');
  ari.bridges.set('cc-leg-L1', new Set());
  t.match(await reconnect(), { adopted: 1, ended: 0 });
  await settled();
  t.ok(ari.channels.has('cc-L1-customer'), 'the customer is dialled');
  t.equal(leg.state, 'dialing_customer', 'the desktop shows the customer being called');
});

for (const state of ['dialing_agent', 'ringing'] as const) {
  t.test(`a call stored ${state} whose customer answered before the rules heard: connected, both in the bridge`, async (t) => {
    const { ari, leg, reconnect } = scene(state);
    for (const channel of ['cc-L1-agent', 'cc-L1-customer']) {
      ari.channels.add(channel);
      ari.answered.add(channel);
    }
    ari.bridges.set('cc-leg-L1', new Set());
    t.match(await reconnect(), { adopted: 1, ended: 0 });
    t.equal(leg.state, 'connected', 'the call shows connected (Hold, Mute and recording work)');
    t.same([...ari.bridges.get('cc-leg-L1')!].sort(), ['cc-L1-agent', 'cc-L1-customer'], 'both phones in the bridge');
    ari.destroy('cc-L1-customer');
    await settled();
    t.equal(leg.state, 'released', "the customer's hang-up ends it as an answered call");
  });
}

t.test('a ringing call with both phones up is adopted; a customer who then does not answer is told as no answer', async (t) => {
  const { ari, leg, reconcile } = scene('ringing');
  ari.channels.add('cc-L1-agent').add('cc-L1-customer');
  ari.bridges.set('cc-leg-L1', new Set());
  t.match(await reconcile(), { adopted: 1, ended: 0 });
  ari.destroy('cc-L1-customer', 19);
  await settled();
  t.match(leg, { state: 'failed', cause: 'no answer' });
  t.same([...ari.channels], [], "the agent's phone is hung up");
});

// A call both phones are talking on, adopted as a restarted controller finds it.
async function talking() {
  const found = scene('connected');
  for (const channel of ['cc-L1-agent', 'cc-L1-customer']) {
    found.ari.channels.add(channel);
    found.ari.answered.add(channel);
  }
  found.ari.bridges.set('cc-leg-L1', new Set(['cc-L1-agent', 'cc-L1-customer']));
  await found.reconcile();
  return found;
}

t.test("a short drop of the event stream while a transfer's new phone rings leaves that phone ringing; its answer moves the call", async (t) => {
  const { ari, leg, legs, reconcile } = await talking();
  const moved = legs.moveToAgent(leg.id, 'bob', 1);
  await settled();
  t.ok(ari.channels.has('cc-L1-agent-1'), "Bob's phone rings");
  t.match(await reconcile(), { strays: 0 }, 'the ringing phone is not taken for a stray');
  t.ok(ari.channels.has('cc-L1-agent-1'), 'it still rings');
  ari.enter('cc-L1-agent-1');
  await t.resolves(moved, 'its answer moves the call');
  t.ok(ari.bridges.get('cc-leg-L1')!.has('cc-L1-agent-1'), "Bob's phone is with the customer");
});

t.test("a transfer's new phone answered during a short drop of the event stream: the reconcile moves the call", async (t) => {
  const { ari, leg, legs, reconnect } = await talking();
  const moved = legs.moveToAgent(leg.id, 'bob', 1);
  await settled();
  ari.answered.add('cc-L1-agent-1'); // Bob answers; the StasisStart goes with the event stream
  t.match(await reconnect(), { strays: 0 }, "Bob's phone is not taken for a stray");
  await t.resolves(moved, 'the call moves');
  t.ok(ari.bridges.get('cc-leg-L1')!.has('cc-L1-agent-1'), "Bob's phone is with the customer");
  t.notOk(ari.channels.has('cc-L1-agent'), "the first agent's phone is hung up");
});

t.test("a transfer's new phone answered while the customer hung up, both during one drop: the call ends, Bob's phone is hung up", async (t) => {
  const { ari, leg, legs, reconnect } = await talking();
  const moved = legs.moveToAgent(leg.id, 'bob', 1);
  await settled();
  ari.answered.add('cc-L1-agent-1');
  ari.channels.delete('cc-L1-customer'); // its ChannelDestroyed went with the event stream
  t.match(await reconnect(), { ended: 1 });
  await t.rejects(moved, 'the move fails: there is no call to move');
  await settled();
  t.equal(leg.state, 'released', 'the call shows ended');
  t.same([...ari.channels], [], "nobody is left on a silent line: Bob's phone is hung up too");
});

// Answers Asterisk saw while only the event stream was away (the controller kept its legs): no
// StasisStart of them will come, so the reconcile takes them up as if heard.
t.test("the event stream drops while the agent's phone rings and the agent answers meanwhile: the customer is dialled once ARI is back", async (t) => {
  const { ari, leg, legs, reconnect } = scene('dialing_agent');
  await legs.placeCall({ legId: 'L1', interactionId: 'I1', serviceId: 's', agentId: 'alice', customerNumber: '+15550001' });
  ari.answered.add('cc-L1-agent'); // its StasisStart went with the event stream
  t.match(await reconnect(), { ended: 0, strays: 0 });
  await settled();
  t.ok(ari.channels.has('cc-L1-customer'), 'the customer is dialled');
  t.equal(leg.state, 'dialing_customer', 'the desktop shows the customer being called');
});

t.test("an agent's answer heard while away, then the call released before it is taken up: the customer is not dialled", async (t) => {
  const { ari, leg, legs, onEvent } = scene('dialing_agent');
  await legs.placeCall({ legId: 'L1', interactionId: 'I1', serviceId: 's', agentId: 'alice', customerNumber: '+15550001' });
  ari.answered.add('cc-L1-agent');
  const client = ari.current();
  ari.up = false;
  const { later } = await reconcileCalls({ ari: client, liveLegs: [leg].filter(isLive), callLegs: legs, onEvent });
  ari.up = true;
  t.equal(later.length, 1, 'the answer is to be taken up');
  const released = legs.release('L1');
  for (const takeUp of later) await takeUp();
  await released;
  t.notOk(ari.channels.has('cc-L1-customer'), 'the customer is not dialled');
  t.same([...ari.channels], [], "the agent's phone is hung up");
});

t.test("the event stream drops while the customer's phone rings and the customer answers meanwhile: connected, both in the bridge", async (t) => {
  const { ari, leg, legs, reconnect } = scene('dialing_agent');
  await legs.placeCall({ legId: 'L1', interactionId: 'I1', serviceId: 's', agentId: 'alice', customerNumber: '+15550001' });
  ari.enter('cc-L1-agent');
  await settled();
  t.equal(leg.state, 'dialing_customer');
  ari.answered.add('cc-L1-customer'); // its StasisStart went with the event stream
  t.match(await reconnect(), { ended: 0, strays: 0 });
  await settled();
  t.equal(leg.state, 'connected', 'the call shows connected');
  t.same([...ari.bridges.get('cc-leg-L1')!].sort(), ['cc-L1-agent', 'cc-L1-customer'], 'both phones in the bridge');
});

// Ending a call removes each part whatever became of the one before: a customer's hang-up that ARI
// answered with an error (a timeout) leaves no agent's phone off-hook in an empty bridge.
t.test("a call's end hangs up the agent's phone and removes the bridge even when the customer's hang-up fails", async (t) => {
  const { ari, legs } = await talking();
  const client = ari.current();
  const hangup = client.channels.hangup.bind(client.channels);
  client.channels.hangup = async (p) => {
    if (p.channelId === 'cc-L1-customer') throw new Error('ARI request timed out');
    return hangup(p);
  };
  await legs.release('L1');
  await settled();
  t.notOk(ari.channels.has('cc-L1-agent'), "the agent's phone is hung up");
  t.notOk(ari.bridges.has('cc-leg-L1'), 'the bridge is removed');
});

// Hold is two steps in Asterisk (the agent's phone out of the bridge, music in): music that does not
// start leaves no half hold, with the agent's phone out and nobody hearing anybody.
t.test('a hold whose music cannot start puts the agent back with the customer, and is refused', async (t) => {
  const { ari, legs } = await talking();
  ari.current().bridges.startMoh = async () => {
    throw new Error('ARI request timed out');
  };
  await t.rejects(legs.hold('L1'), /timed out/, 'the hold is refused');
  t.same([...ari.bridges.get('cc-leg-L1')!].sort(), ['cc-L1-agent', 'cc-L1-customer'], 'both phones in the bridge again');
  t.equal(legs.legs.get('L1')?.customerHeld, false, 'not held');
});

// The handover is the new phone joining the customer's bridge: music that then does not stop must not
// undo it in the rules while Asterisk has the new phone bridged and the old one up (untracked).
t.test("a transfer whose music does not stop once the new phone joined is done: the old phone is hung up", async (t) => {
  const { ari, legs } = await talking();
  ari.current().bridges.stopMoh = async () => {
    throw new Error('ARI request timed out');
  };
  const moved = legs.moveToAgent('L1', 'bob', 1);
  await settled();
  ari.enter('cc-L1-agent-1');
  await t.resolves(moved, 'the move is done');
  t.notOk(ari.channels.has('cc-L1-agent'), "the first agent's phone is hung up");
  t.same([...ari.bridges.get('cc-leg-L1')!].sort(), ['cc-L1-agent-1', 'cc-L1-customer'], "the new agent's phone is with the customer");
  t.equal(legs.legs.get('L1')?.agentChannelId, 'cc-L1-agent-1');
});

t.test('a reconcile that fails part way is run again whole by the next connect: the phone it was putting back joins the bridge', async (t) => {
  const { ari, leg, legs, reconnect } = scene('connected');
  for (const channel of ['cc-L1-agent', 'cc-L1-customer']) {
    ari.channels.add(channel);
    ari.answered.add(channel);
  }
  // The agent was in a consult's bridge, which the controller did not come back to.
  ari.bridges.set('cc-leg-L1', new Set(['cc-L1-customer']));
  const bridges = ari.current().bridges as unknown as { addChannel: (p: unknown) => Promise<void> };
  const addChannel = bridges.addChannel;
  bridges.addChannel = async () => {
    bridges.addChannel = addChannel;
    throw new Error('ARI answered 500');
  };
  await t.rejects(reconnect(), /500/, 'the connect fails');
  ari.up = true; // the connection tries again
  t.notOk(legs.legs.has('L1'), 'the call is let go, to be taken up by the next reconcile');
  t.match(await reconnect(), { adopted: 1, ended: 0 }, 'the next connect adopts it');
  t.same([...ari.bridges.get('cc-leg-L1')!].sort(), ['cc-L1-agent', 'cc-L1-customer'], 'both phones in the bridge');
  t.equal(leg.state, 'connected');
});

t.test("a call held the old way (the customer on its own music out of the bridge) is held as now, the bridge never left without a phone (its recording would end)", async (t) => {
  const { ari, leg, legs, reconcile } = scene('on_hold');
  for (const channel of ['cc-L1-agent', 'cc-L1-customer']) {
    ari.channels.add(channel);
    ari.answered.add(channel);
  }
  const bridge = new Set(['cc-L1-agent']);
  ari.bridges.set('cc-leg-L1', bridge);
  const emptied: string[] = [];
  const bridges = ari.current().bridges as unknown as { removeChannel: (p: { bridgeId: string; channel: string }) => Promise<void> };
  const removeChannel = bridges.removeChannel;
  bridges.removeChannel = async (p) => {
    await removeChannel(p);
    if (bridge.size === 0) emptied.push(p.channel);
  };
  t.match(await reconcile(), { adopted: 1, ended: 0 });
  t.same(emptied, [], 'a phone is in the bridge throughout');
  t.same([...bridge], ['cc-L1-customer'], 'held as now: the customer in the bridge with its music, the agent out');
  t.ok(ari.log.includes('music cc-leg-L1'));
  t.equal(leg.state, 'on_hold');
  t.equal(legs.legs.get('L1')?.customerHeld, true);
});

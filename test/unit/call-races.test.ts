// Calls against what happens around them, the call legs in Asterisk (src/ari/calls/) against an
// in-memory ARI, with the rules: a transfer ring whose end can no longer come (Asterisk died, the phone
// went away while the events were away) fails instead of holding the chat's call work for good; a call
// released during a reconnect is not taken back; a call placed while the chat ends does not outlive it.
import t from 'tap';
import { reconcileCalls, releaseLostCalls } from '../../src/ari/calls/reconcile.ts';
import { isLive } from '../../src/domain/call-leg.ts';
import { connectedCall, settled } from '../helpers/ari-call-legs.ts';
import { expectDomainError } from '../helpers/fakes.ts';

const within = <T,>(promise: Promise<T>, ms: number) => Promise.race([promise.then(() => 'settled', () => 'settled'), new Promise((resolve) => setTimeout(() => resolve('pending'), ms))]);

async function callBeingTransferred() {
  const call = await connectedCall();
  const move = call.h.desk.moveCall(call.rec, 'bob');
  move.catch(() => undefined);
  await settled();
  return { ...call, move };
}

t.test('Asterisk dies while the new phone rings: the transfer fails, and the chat can call again', async (t) => {
  const { ari, legs, rec, onEvent, move } = await callBeingTransferred();
  ari.channels.clear();
  ari.bridges.clear();
  await releaseLostCalls({ liveLegs: rec.callLegs.filter(isLive), callLegs: legs, onEvent });
  t.equal(await within(move, 500), 'settled', 'the transfer of the call is over');
  const next = legs.placeCall({ legId: 'L2', interactionId: rec.id, serviceId: 'roadside', agentId: 'alice', customerNumber: '+15551234567' });
  t.equal(await within(next, 500), 'settled', 'a new call of the chat is not stuck behind it');
});

t.test('the new phone went away while the events were away: the call stays with the first agent, and Release call works', async (t) => {
  const { ari, legs, h, leg, rec, onEvent, move } = await callBeingTransferred();
  ari.channels.delete(`cc-${leg.id}-agent-1`); // its ChannelDestroyed was lost with the event stream
  await reconcileCalls({ ari: ari.current(), liveLegs: rec.callLegs.filter(isLive), callLegs: legs, onEvent });
  t.equal(await within(move, 500), 'settled', 'the transfer of the call is over');
  t.equal(await within(h.desk.releaseCall('alice', rec.id), 500), 'settled', 'Release call goes through');
  await settled();
  t.notOk(ari.channels.has(`cc-${leg.id}-customer`), "the customer's channel is hung up");
});

t.test('a call released while a reconnect reconciles is not taken back: its phones are hung up', async (t) => {
  const { ari, legs, h, leg, rec, onEvent } = await connectedCall();
  // The reconnect took its list of live calls; then, before the connection counts as up, the agent
  // releases the call (allowed while Asterisk is away: nothing is left up), which cannot hang up yet.
  const reconnecting = ari.current();
  const liveLegs = rec.callLegs.filter(isLive);
  ari.up = false;
  h.desk.capabilities.telephonyAway = true;
  await h.desk.releaseCall('alice', rec.id);
  ari.up = true;
  await reconcileCalls({ ari: reconnecting, liveLegs, callLegs: legs, onEvent });
  t.notOk(legs.legs.has(leg.id), 'the released call is not taken back');
  t.notOk(ari.channels.has(`cc-${leg.id}-agent`) || ari.channels.has(`cc-${leg.id}-customer`), 'both phones are hung up');
});

t.test('the customer ends the chat while its call is being released, and the agent clicks the number meanwhile: no call outlives the chat', async (t) => {
  const { ari, legs, h, leg, rec } = await connectedCall();
  // ARI's hang-ups take a few milliseconds.
  const release = legs.release.bind(legs);
  legs.release = async (legId: string) => (await new Promise((resolve) => setTimeout(resolve, 20)), release(legId));
  const ending = h.center.endByCustomer(rec.id);
  while (leg.state !== 'released') await new Promise((resolve) => setImmediate(resolve));
  const second = await h.desk.callCustomer('alice', rec.id).catch(() => null);
  t.equal((await ending).state, 'ended');
  await settled();
  t.notOk(second && isLive(second), 'the call placed meanwhile is not live');
  if (second) {
    ari.enter(`cc-${second.id}-agent`);
    await settled();
    t.notOk(ari.channels.has(`cc-${second.id}-customer`), 'and the customer who ended the chat is not dialled');
  }
});

t.test('Release call while the new phone rings for a transfer: the ring ends at once, and so does the call', async (t) => {
  const { ari, h, leg, rec, move } = await callBeingTransferred();
  t.ok(ari.channels.has(`cc-${leg.id}-agent-1`), "Bob's phone rings");
  t.equal(await within(h.desk.releaseCall('alice', rec.id), 500), 'settled', 'Release call goes through without waiting for the ring');
  t.equal(await within(move, 500), 'settled', 'the transfer of the call is over');
  await settled();
  t.notOk(ari.channels.has(`cc-${leg.id}-agent-1`), "Bob's phone stops ringing");
  t.notOk(ari.channels.has(`cc-${leg.id}-customer`), "the customer's channel is hung up");
});

t.test("the transfer withdrawn while the new phone rings (its agent disabled): the ring ends, and the customer talks with the first agent again", async (t) => {
  const { ari, h, leg, rec, move } = await callBeingTransferred();
  t.ok(ari.channels.has(`cc-${leg.id}-agent-1`), "Bob's phone rings");
  h.desk.stopMove(rec);
  t.equal(await within(move, 500), 'settled', 'the transfer of the call is over');
  await t.rejects(move, /the new agent was disabled/, 'the move fails, saying why');
  await settled();
  t.notOk(ari.channels.has(`cc-${leg.id}-agent-1`), "Bob's phone stops ringing");
  const bridge = ari.bridges.get(`cc-leg-${leg.id}`);
  t.ok(bridge?.has(`cc-${leg.id}-customer`) && bridge.has(`cc-${leg.id}-agent`), "the customer and Alice's phone share the call's bridge");
  t.equal(leg.state, 'connected', 'the call goes on');
});

t.test("Hold clicked while the new phone rings for a transfer is refused: Bob's answer is not put on hold", async (t) => {
  const { ari, h, leg, rec, move } = await callBeingTransferred();
  const hold = h.desk.toggleHold('alice', rec.id);
  t.equal(await within(hold, 500), 'settled', 'answered at once, not after the ring');
  await expectDomainError(t, hold, 'conflict', 'call_moving', 'refused, with its reason');
  ari.enter(`cc-${leg.id}-agent-1`); // Bob answers
  await move;
  await settled();
  t.equal(leg.state, 'connected', 'the call is not on hold');
  t.ok(ari.bridges.get(`cc-leg-${leg.id}`)?.has(`cc-${leg.id}-agent-1`), "Bob's phone is in the call's bridge");
});

t.test("Hold clicked while the new agent's phone is still being looked up is refused too", async (t) => {
  const { ari, h, leg, rec } = await connectedCall();
  const move = h.desk.moveCall(rec, 'bob');
  await expectDomainError(t, h.desk.toggleHold('alice', rec.id), 'conflict', 'call_moving', 'Hold in the same turn as Accept');
  await settled();
  ari.enter(`cc-${leg.id}-agent-1`); // Bob answers
  await move;
  await settled();
  t.equal(leg.state, 'connected', 'the call is not on hold');
  t.ok(ari.bridges.get(`cc-leg-${leg.id}`)?.has(`cc-${leg.id}-agent-1`), "Bob's phone is in the call's bridge");
});

t.test('a customer who answers but cannot be bridged with the agent: the call fails, both phones hung up (not left up, silent, under Ringing)', async (t) => {
  const { ari, leg } = await connectedCall((fake) => {
    (fake.current() as unknown as { bridges: { addChannel(): Promise<void> } }).bridges.addChannel = async () => {
      throw new Error('ARI answered 500');
    };
  });
  await settled();
  t.match(leg, { state: 'failed', cause: /could not bridge the call/ }, 'the desktop shows the call failed, and why');
  t.same([...ari.channels].filter((c) => c.startsWith(`cc-${leg.id}`)), [], "neither phone is left up");
});

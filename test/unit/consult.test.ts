// Consults (warm transfers) in the domain: the consult call's state table, the refusals of the guard
// table, and what each agent has as the consult is answered, completed, cancelled or ends by itself
// (the target's phone not answering, the customer hanging up, a restart), each step on the timeline.
import t, { type Test } from 'tap';
import { agentActions, handoffActions } from '../../src/domain/guards.ts';
import { CONSULT_CALL_STATES } from '../../src/domain/handoff.ts';
import { canApply } from '../../src/domain/state-table.ts';
import { shownToAgents } from '../../src/domain/timeline.ts';
import { callEntrySummary } from '../../src/web/desktop/call-entry-view.ts';
import { activeChat, expectDomainError, makeHandoffDesk } from '../helpers/fakes.ts';
import { events, onCall, sees, settled, steps } from '../helpers/consult.ts';

t.test('the consult call rings, then talks; nothing else', async (t) => {
  t.ok(canApply(CONSULT_CALL_STATES, 'ringing', 'answer'));
  t.notOk(canApply(CONSULT_CALL_STATES, 'talking', 'answer'), 'answered once');
});


t.test('Consult holds the customer and rings Bob; once he answers, Complete transfer hands everything to him', async (t) => {
  const { h, desk, telephony, rec, id, leg } = await onCall();
  await desk.consult('alice', id, { to: 'agent:bob', note: 'Knows the policy' });
  t.equal(telephony.calls.at(-1), `consult ${leg.id} with bob (1)`, "Bob's phone rings from Alice's call");
  t.equal(leg.state, 'on_hold', 'the customer is on hold');
  t.same(leg.consult, { agentId: 'bob', agentName: 'Bob', turn: 1, state: 'ringing' }, 'named, so the timeline reads without a lookup');
  t.ok(sees(h, 'bob', id), 'Bob reads the whole chat meanwhile');
  t.ok(await h.center.interactionForAgent('bob', id));
  const bobMay = handoffActions(rec, 'bob', h.desk.capabilities);
  t.equal(bobMay.accept_transfer?.code, 'consult_not_accepted', 'Bob does not Accept a consult');
  const aliceMay = agentActions(rec, 'alice', h.desk.capabilities);
  t.equal(aliceMay.unhold?.code, 'consult_in_progress', "the consult's hold is not the agent's to lift");
  t.equal(aliceMay.release_call?.code, 'consult_in_progress');
  t.equal(aliceMay.post_message, null, 'Alice keeps writing in the chat');
  await expectDomainError(t, desk.complete('alice', id), 'conflict', 'consult_not_answered', 'before Bob answers');
  await expectDomainError(t, desk.consult('alice', id, { to: 'agent:carol' }), 'conflict', 'handoff_in_progress', 'a second consult');
  await expectDomainError(t, desk.transfer('alice', id, { to: 'agent:carol' }), 'conflict', 'handoff_in_progress', 'a transfer meanwhile');

  events(telephony, leg.id).answered();
  await settled();
  t.equal(leg.consult?.state, 'talking', 'Alice and Bob talk');
  leg.supervisions = [{ id: 's1', supervisorId: 'sam', state: 'whispering', startedAt: 0, answeredAt: 0, endedAt: null, cause: null }];
  await expectDomainError(t, desk.complete('alice', id), 'conflict', 'call_supervised', 'while a supervisor whispers to Alice');
  leg.supervisions = [];
  await expectDomainError(t, desk.complete('bob', id), 'forbidden', 'not_your_chat', 'Bob completing');
  await desk.complete('alice', id);
  t.equal(telephony.calls.at(-1), `complete consult ${leg.id}`);
  t.equal(rec.agentId, 'bob', 'the chat is Bob’s');
  t.same([leg.agentId, leg.agentTurn, leg.state, leg.consult], ['bob', 1, 'connected', null], 'the call is Bob’s, off hold');
  t.notOk(sees(h, 'alice', id), 'Alice no longer has it');
  t.equal(h.center.agentState('alice').interactions.size, 0, 'Alice is free');
  t.equal(agentActions(rec, 'bob', h.desk.capabilities).release_call, null, 'Bob may release the call');
  t.same(await steps(h, id), [
    ['consulted', 'consult', 'agent', 'alice', null],
    ['completed', 'consult', 'agent', 'alice', null],
  ]);
  t.equal((await h.center.timeline(id)).find((e) => e.kind === 'handoff')?.text, 'Knows the policy');
});

t.test('Cancel transfer during a consult hangs up Bob and brings the customer back to Alice', async (t) => {
  const { h, desk, telephony, rec, id, leg } = await onCall();
  await desk.consult('alice', id, { to: 'agent:bob' });
  events(telephony, leg.id).answered();
  await settled();
  await expectDomainError(t, desk.cancel('bob', id), 'forbidden', 'not_your_chat');
  telephony.failNext = new Error('ARI is unreachable');
  await expectDomainError(t, desk.cancel('alice', id), 'unavailable', 'consult_not_ended', 'a hang-up the telephony could not do');
  t.equal(leg.consult?.state, 'talking', 'leaves the consult as it was');
  await desk.cancel('alice', id);
  t.equal(telephony.calls.at(-1), `end consult ${leg.id}`);
  t.same([leg.agentId, leg.state, leg.consult], ['alice', 'connected', null], 'Alice and the customer, off hold');
  t.notOk(sees(h, 'bob', id), 'the offer to Bob is withdrawn');
  t.equal(h.center.agentState('bob').pendingOffer, null);
  t.equal(agentActions(rec, 'alice', h.desk.capabilities).hold, null, 'Alice may hold again');
  t.same((await steps(h, id)).map((s) => [s[0], s[2]]), [
    ['consulted', 'agent'],
    ['cancelled', 'agent'],
  ]);
});

t.test("the call's timeline says what the consult is: calling, consulting Bob, then the call back or Bob's", async (t) => {
  const { h, desk, telephony, id, leg } = await onCall();
  const NAMES: Record<string, string> = { alice: 'Alice', bob: 'Bob' };
  const calls = async () => (await h.center.timeline(id)).filter((e) => e.kind === 'call').map((e) => callEntrySummary(e, NAMES[e.agentId ?? ''] ?? '?'));
  const before = (await calls()).length;
  await desk.consult('alice', id, { to: 'agent:bob' });
  events(telephony, leg.id).answered();
  await settled();
  await desk.cancel('alice', id);
  await desk.consult('alice', id, { to: 'agent:bob' });
  events(telephony, leg.id).answered();
  await settled();
  await desk.complete('alice', id);
  t.same((await calls()).slice(before), [
    'Calling Bob to consult: the customer is on hold',
    'Consulting Bob: the customer is on hold',
    'Call to the customer: connected',
    'Calling Bob to consult: the customer is on hold',
    'Consulting Bob: the customer is on hold',
    'Call to the customer: connected with Bob',
  ]);
  t.equal(leg.state, 'connected', "the call leg's own states are untouched: on hold during each consult, connected after");
});

async function endsByItself(t: Test, what: string, answer: boolean, reason: string) {
  t.test(what, async (t) => {
    const { h, desk, telephony, rec, id, leg } = await onCall();
    await desk.consult('alice', id, { to: 'agent:bob' });
    if (answer) events(telephony, leg.id).answered();
    await settled();
    events(telephony, leg.id).ended('busy');
    await settled();
    t.same([rec.agentId, leg.state, leg.consult], ['alice', 'connected', null], 'the customer is back with Alice');
    t.notOk(sees(h, 'bob', id));
    t.same((await steps(h, id)).at(-1), ['cancelled', 'consult', 'system', null, reason], 'the timeline says why');
    t.notOk(telephony.calls.some((c) => c.startsWith('end consult')), 'nothing left to hang up');
  });
}
void endsByItself(t, "Bob's phone not answering (or rejecting) ends the consult", false, 'target_no_answer');
void endsByItself(t, 'Bob hanging up during the consult ends it', true, 'target_hung_up');

t.test('the customer hanging up during a consult: the chat stays, the call released with its cause, both agents free of it', async (t) => {
  const { h, desk, telephony, rec, id, leg } = await onCall();
  await desk.consult('alice', id, { to: 'agent:bob' });
  events(telephony, leg.id).answered();
  await settled();
  events(telephony, leg.id).callEnded('customer hung up');
  await h.desk.onCallEvent(id, leg.id, 'customer_hangup', 'customer hung up');
  await settled();
  t.equal(rec.state, 'active', 'the chat is intact');
  t.equal(rec.agentId, 'alice');
  t.same([leg.state, leg.cause], ['released', 'customer hung up']);
  t.notOk(sees(h, 'bob', id), 'Bob is free of it');
  const last = (await steps(h, id)).at(-1);
  t.same([last?.[0], last?.[4]], ['cancelled', 'call_ended']);
  await h.center.postAgentMessage('alice', id, 'You were cut off, shall I call again?');
  t.equal(agentActions(rec, 'alice', h.desk.capabilities).call, null, 'Alice may call again');
});

t.test('Consult is refused with its reason, and nothing changes', async (t) => {
  const { h, desk, id, rec } = await onCall({ connected: false });
  await expectDomainError(t, desk.consult('alice', id, { to: 'agent:bob' }), 'conflict', 'call_being_placed', 'while the call is placed');
  const chatOnly = await activeChat(h, 'carol', { serviceId: 'billing' });
  await h.desk.releaseCall('carol', chatOnly.interaction.id); // Billing dials at Accept
  const refused = await expectDomainError(t, desk.consult('carol', chatOnly.interaction.id, { to: 'agent:bob' }), 'conflict', 'consult_needs_call', 'without a call');
  t.equal(refused?.message, 'Consult needs a call with the customer; use Transfer for the chat alone.');
  await h.desk.onCallEvent(id, rec.callLegs[0]!.id, 'customer_answered');
  await expectDomainError(t, desk.consult('alice', id, { to: 'agent:alice' }), 'conflict', 'transfer_to_self');
  await expectDomainError(t, desk.consult('alice', id, { to: 'agent:nobody' }), 'not_found', 'unknown_agent');
  h.center.setPresence('bob', 'make_not_ready');
  await expectDomainError(t, desk.consult('alice', id, { to: 'agent:bob' }), 'conflict', 'agent_not_ready');
  await expectDomainError(t, desk.consult('bob', id, { to: 'agent:carol' }), 'forbidden', 'not_your_chat');
  await expectDomainError(t, desk.consult('alice', id, { to: 'bob' }), 'invalid', 'invalid_transfer_target');
  await expectDomainError(t, desk.complete('alice', id), 'conflict', 'no_consult');
  t.equal(rec.offeredTo, null, 'no one is offered it');
  t.equal(rec.callLegs[0]!.state, 'connected', 'the customer was never put on hold');
  t.same(await steps(h, id), [], 'nothing on the timeline');
});

t.test('Consult is refused while a supervisor talks on the call or video runs', async (t) => {
  const { desk, id, rec, leg } = await onCall();
  for (const state of ['whispering', 'barging'] as const) {
    leg.supervisions = [{ id: 's1', supervisorId: 'sam', state, startedAt: 0, answeredAt: 0, endedAt: null, cause: null }];
    await expectDomainError(t, desk.consult('alice', id, { to: 'agent:bob' }), 'conflict', 'call_supervised', `while a supervisor is ${state}`);
  }
  leg.supervisions = [];
  rec.video = { id: 'v1', interactionId: id, state: 'active', requestedAt: 0, startedAt: 0, endedAt: null, endedBy: null };
  await expectDomainError(t, desk.consult('alice', id, { to: 'agent:bob' }), 'conflict', 'video_active');
});

t.test('a supervisor who only listens: Alice consults and completes as usual, and the supervisor leaves her phone before the call moves', async (t) => {
  const { h, desk, telephony, id, leg } = await onCall();
  const listening = { id: 's1', supervisorId: 'sam', state: 'listening' as const, startedAt: 0, answeredAt: 0, endedAt: null, cause: null };
  leg.supervisions = [listening];
  t.equal(handoffActions(h.interactions.get(id)!, 'alice', h.desk.capabilities).consult, null, 'Consult shown enabled: nothing tells Alice she is listened to');
  await desk.consult('alice', id, { to: 'agent:bob' });
  t.equal(listening.state, 'listening', 'the supervisor listens through the consult');
  events(telephony, leg.id).answered();
  await settled();
  await desk.complete('alice', id);
  t.equal(leg.agentId, 'bob', 'the call is Bob’s');
  t.same([listening.state, listening.cause], ['ended', 'the call was being handed over to another agent'], "the supervisor left Alice's phone");
  const ended = (await h.center.timeline(id)).filter((e) => e.kind === 'supervision');
  t.same(ended.map((e) => [e.author, (e.data as { state: string }).state]), [['system', 'ended']], 'on the timeline');
  t.notOk(ended.some(shownToAgents), 'which the agents are not shown');
});

t.test("a phone that cannot be rung ends the consult at once: the customer stays with Alice, off hold", async (t) => {
  const { h, desk, telephony, id, leg } = await onCall();
  telephony.failNext = new Error("the agent's phone is not registered");
  const refused = await expectDomainError(t, desk.consult('alice', id, { to: 'agent:bob' }), 'unavailable', 'consult_call_failed');
  t.match(refused?.message, /^Bob's phone could not be called/);
  t.same([leg.state, leg.consult], ['connected', null]);
  t.notOk(sees(h, 'bob', id));
  t.same((await steps(h, id)).map((s) => [s[0], s[4]]), [
    ['consulted', null],
    ['cancelled', 'consult_failed'],
  ]);
});

t.test('a restart during a consult brings the customer back to Alice and says so', async (t) => {
  const { h, desk, telephony, rec, id, leg } = await onCall();
  await desk.consult('alice', id, { to: 'agent:bob' });
  events(telephony, leg.id).answered();
  await settled();
  // A new leader knows only what is stored: no handoff object, the consult on the call leg.
  rec.handoff = null;
  const after = makeHandoffDesk(h);
  after.recover();
  t.same([leg.state, leg.consult, rec.agentId, rec.offeredTo], ['connected', null, 'alice', null], 'off hold, with Alice, before the telephony reconnects');
  await settled();
  t.same((await steps(h, id)).at(-1), ['cancelled', 'consult', 'system', null, 'restart'], 'the timeline says the consult ended with the restart');
  const last = (await h.center.timeline(id)).filter((e) => e.kind === 'handoff').at(-1);
  t.match(last?.data, { fromName: 'Alice', toName: 'Bob' }, 'by name');
});

t.test('a customer who ends the chat during a consult ends the consult too', async (t) => {
  const { h, desk, id, leg } = await onCall();
  await desk.consult('alice', id, { to: 'agent:bob' });
  await h.center.endByCustomer(id);
  await settled();
  t.equal(leg.state, 'released');
  t.notOk(sees(h, 'bob', id));
  t.equal(h.center.agentState('bob').pendingOffer, null);
});

t.test('a customer who hangs up while the new phone rings (cold transfer) ends the ring: the chat stays', async (t) => {
  const { h, desk, telephony, rec, id, leg } = await onCall();
  await desk.transfer('alice', id, { to: 'agent:bob' });
  const { CallEndedMeanwhile } = await import('../../src/domain/ports.ts');
  telephony.failNext = new CallEndedMeanwhile('the customer hung up');
  await expectDomainError(t, desk.accept('bob', id), 'conflict', 'customer_hung_up');
  await settled();
  t.equal(rec.agentId, 'alice', 'the chat stays with Alice');
  t.equal(leg.agentId, 'alice');
  t.same((await steps(h, id)).map((s) => [s[0], s[4]]), [
    ['offered', null],
    ['returned', 'customer_hung_up'],
  ]);
});

t.test('two Consults at once: one rings, the other is refused, one step on the timeline', async (t) => {
  const { h, desk, telephony, id } = await onCall();
  const both = await Promise.allSettled([desk.consult('alice', id, { to: 'agent:bob' }), desk.consult('alice', id, { to: 'agent:carol' })]);
  t.same(both.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  t.equal(((both.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as { code?: string }).code, 'handoff_in_progress');
  t.equal(telephony.calls.filter((c) => c.startsWith('consult')).length, 1, 'one phone rings');
  t.equal((await steps(h, id)).length, 1, 'one consult on the timeline');
});

t.test('a Complete transfer that fails because Bob hung up meanwhile ends the consult: Alice keeps the customer, Bob is free', async (t) => {
  const { h, desk, telephony, rec, id, leg } = await onCall();
  await desk.consult('alice', id, { to: 'agent:bob' });
  events(telephony, leg.id).answered();
  await settled();
  const bobsPhone = events(telephony, leg.id);
  // As Asterisk does: Bob's phone goes while the call moves to it; the move fails and the consult ends.
  telephony.completeConsult = async () => {
    bobsPhone.ended('the other agent hung up');
    throw new Error('Channel not found');
  };
  const refused = await expectDomainError(t, desk.complete('alice', id), 'unavailable', 'transfer_call_failed');
  t.match(refused?.message, /the consult ended\.$/, 'the answer says the consult is over, not that it goes on');
  t.same([rec.agentId, rec.offeredTo, rec.handoff, leg.state, leg.consult], ['alice', null, null, 'connected', null], 'Alice and the customer, off hold');
  t.equal(h.center.agentState('bob').pendingOffer, null, 'Bob gets routed chats again');
  t.notOk(sees(h, 'bob', id));
  t.same((await steps(h, id)).map((s) => [s[0], s[4]]), [
    ['consulted', null],
    ['cancelled', 'target_hung_up'],
  ]);
});

t.test('the call ending during a failed Complete transfer, told only by the call leg, settles the consult', async (t) => {
  const { h, desk, telephony, rec, id, leg } = await onCall();
  await desk.consult('alice', id, { to: 'agent:bob' });
  events(telephony, leg.id).answered();
  await settled();
  telephony.completeConsult = async () => {
    await h.desk.onCallEvent(id, leg.id, 'customer_hangup', 'customer hung up');
    throw new Error('Bridge not found');
  };
  const refused = await expectDomainError(t, desk.complete('alice', id), 'unavailable', 'transfer_call_failed');
  t.match(refused?.message, /the consult ended\.$/);
  await settled();
  t.same([rec.state, rec.agentId, rec.offeredTo, rec.handoff, leg.state], ['active', 'alice', null, null, 'released'], 'the chat stays with Alice, the call released');
  t.equal(h.center.agentState('bob').pendingOffer, null, 'Bob is free of it');
  t.same((await steps(h, id)).map((s) => [s[0], s[4]]), [
    ['consulted', null],
    ['cancelled', 'call_ended'],
  ]);
  await expectDomainError(t, desk.cancel('alice', id), 'conflict', 'no_transfer', 'nothing left to cancel');
});

t.test('a consult whose call is released without a word from the consult phone ends with it', async (t) => {
  const { h, desk, rec, id, leg } = await onCall();
  await desk.consult('alice', id, { to: 'agent:bob' });
  await h.desk.onCallEvent(id, leg.id, 'customer_hangup', 'customer hung up');
  await settled();
  t.same([rec.offeredTo, rec.handoff, h.center.agentState('bob').pendingOffer], [null, null, null]);
  t.same((await steps(h, id)).at(-1)?.[0], 'cancelled');
});

t.test('Cancel transfer clicked twice: one cancel, one timeline entry, the second refused with its reason', async (t) => {
  const { h, desk, telephony, id, leg } = await onCall();
  await desk.consult('alice', id, { to: 'agent:bob' });
  events(telephony, leg.id).answered();
  await settled();
  let hungUp!: () => void;
  const endConsult = telephony.endConsult.bind(telephony);
  telephony.endConsult = (legId) => new Promise<void>((resolve) => (hungUp = () => resolve(endConsult(legId))));
  const first = desk.cancel('alice', id);
  await expectDomainError(t, desk.cancel('alice', id), 'conflict', 'transfer_being_cancelled', 'while the first one hangs up');
  await expectDomainError(t, desk.complete('alice', id), 'conflict', 'transfer_being_cancelled');
  hungUp();
  await first;
  await settled();
  const cancelled = (await h.center.timeline(id)).filter((e) => e.kind === 'handoff' && (e.data as { step: string }).step === 'cancelled');
  t.equal(cancelled.length, 1, 'one "cancelled" entry');
  t.match(cancelled[0]?.data, { toAgentId: 'bob', toName: 'Bob' }, 'naming Bob');
});

t.test("Bob's ring timing out while Cancel transfer hangs up: one cancelled entry, naming Bob", async (t) => {
  const { h, desk, telephony, id, leg } = await onCall();
  await desk.consult('alice', id, { to: 'agent:bob' });
  const bobsPhone = events(telephony, leg.id);
  let hungUp!: () => void;
  const endConsult = telephony.endConsult.bind(telephony);
  telephony.endConsult = (legId) => new Promise<void>((resolve) => (hungUp = () => resolve(endConsult(legId))));
  const cancelling = desk.cancel('alice', id);
  bobsPhone.ended('no answer');
  await settled();
  hungUp();
  await cancelling;
  await settled();
  const cancelled = (await h.center.timeline(id)).filter((e) => e.kind === 'handoff' && (e.data as { step: string }).step === 'cancelled');
  t.equal(cancelled.length, 1, 'one "cancelled" entry');
  t.match(cancelled[0]?.data, { toAgentId: 'bob', toName: 'Bob' });
  t.same(leg.state, 'connected');
});

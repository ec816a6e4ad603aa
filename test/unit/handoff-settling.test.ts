// A click or a presence change that lands while a handoff is being settled (the call moving to the
// other agent's phone, its step being written) is refused or waits: the chat and the call never end
// up with different agents.
import t, { type Test } from 'tap';
import type { TimelineEntry } from '../../src/domain/timeline.ts';
import { disableAgent, expectDomainError } from '../helpers/fakes.ts';
import { events, onCall, sees, settled, steps } from '../helpers/consult.ts';
import { CallEndedMeanwhile } from '../../src/domain/ports.ts';

// Both the chat and its call are Bob's, none of it Alice's.
function bobHasItAll(t: Test, { h, rec, leg, id }: Pick<Awaited<ReturnType<typeof onCall>>, 'h' | 'rec' | 'leg' | 'id'>): void {
  t.equal(rec.agentId, 'bob', 'the chat is Bob’s');
  t.equal(leg.agentId, 'bob', 'as is the call');
  t.notOk(sees(h, 'alice', id), 'Alice no longer has it');
}

t.test('Cancel transfer clicked while Complete transfer writes the handover is refused: chat and call both go to Bob', async (t) => {
  const { h, desk, telephony, rec, id, leg } = await onCall();
  await desk.consult('alice', id, { to: 'agent:bob' });
  events(telephony, leg.id).answered();
  await settled();
  // The call is on Bob's phone; the write that says so is slow.
  let written!: () => void;
  const completeConsult = telephony.completeConsult.bind(telephony);
  telephony.completeConsult = async (legId) => {
    await completeConsult(legId);
    const append = h.store.appendEntry.bind(h.store);
    h.store.appendEntry = (entry: TimelineEntry, interaction) => {
      h.store.appendEntry = append;
      return new Promise<void>((resolve) => (written = resolve)).then(() => append(entry, interaction));
    };
  };
  const completing = desk.complete('alice', id);
  await settled();
  await expectDomainError(t, desk.cancel('alice', id), 'conflict', 'transfer_being_completed', 'Cancel transfer meanwhile');
  written();
  await completing;
  bobHasItAll(t, { h, rec, leg, id });
});

t.test("Bob going Not Ready while his phone rings after Accept: the call and the chat both become his", async (t) => {
  const { h, desk, telephony, rec, id, leg } = await onCall();
  await desk.transfer('alice', id, { to: 'agent:bob' });
  let answer!: () => void;
  const moveToAgent = telephony.moveToAgent.bind(telephony);
  telephony.moveToAgent = (legId, agentId, turn) => new Promise<void>((resolve) => (answer = resolve)).then(() => moveToAgent(legId, agentId, turn));
  const accepting = desk.accept('bob', id);
  await settled();
  h.center.setPresence('bob', 'make_not_ready'); // no new offers: the one he accepted is his
  await settled();
  answer();
  await accepting;
  bobHasItAll(t, { h, rec, leg, id });
});

t.test("the call released while Bob's phone rings after Accept: the chat stays with Alice, and the timeline says the call ended", async (t) => {
  const { h, desk, telephony, rec, id } = await onCall();
  await desk.transfer('alice', id, { to: 'agent:bob' });
  telephony.moveToAgent = async () => {
    throw new CallEndedMeanwhile('the call was released', false);
  };
  await expectDomainError(t, desk.accept('bob', id), 'conflict', 'call_ended', 'Accept');
  t.equal(rec.agentId, 'alice', 'the chat stays with Alice');
  await settled();
  t.same((await steps(h, id)).at(-1), ['returned', 'transfer', 'system', null, 'call_ended'], 'returned because the call ended, not "the customer hung up"');
});

// Bob accepted a transfer and his phone rings; `disable` is an admin disabling him (the admin hook's
// steps: the directory, then the rules hear it).
async function ringingAfterAccept() {
  const scene = await onCall();
  const { h, desk, telephony, id } = scene;
  await desk.transfer('alice', id, { to: 'agent:bob' });
  let answer!: () => void;
  let noAnswer!: (err: Error) => void;
  const moveToAgent = telephony.moveToAgent.bind(telephony);
  telephony.moveToAgent = (legId, agentId, turn) =>
    new Promise<void>((resolve, reject) => {
      answer = resolve;
      noAnswer = reject;
    }).then(() => moveToAgent(legId, agentId, turn));
  const accepting = desk.accept('bob', id);
  await settled();
  const disable = () => disableAgent(h, 'bob');
  return { ...scene, accepting, disable, answer: () => answer(), noAnswer: (err: Error) => noAnswer(err) };
}

t.test('Bob disabled while his phone rings after Accept: the ring ends, and the chat and the call both stay with Alice', async (t) => {
  const { h, telephony, rec, id, leg, accepting, disable, noAnswer } = await ringingAfterAccept();
  // As Asterisk's ring does when it is ended (transfer-rings.ts): moveToAgent() rejects.
  telephony.onEndRing = () => noAnswer(new Error('the transfer was withdrawn: the new agent was disabled'));
  await disable();
  await expectDomainError(t, accepting, 'conflict', 'target_disabled', "Bob's Accept");
  await settled();
  t.equal(telephony.calls.at(-1), `end ring ${leg.id}`, 'the ring was ended');
  t.same([rec.state, rec.agentId, leg.agentId, leg.state], ['active', 'alice', 'alice', 'connected'], 'chat and call with Alice');
  t.ok(sees(h, 'alice', id), 'Alice has it');
  t.notOk(sees(h, 'bob', id), 'Bob has nothing');
  t.same((await steps(h, id)).at(-1), ['returned', 'transfer', 'system', null, 'target_disabled'], 'the timeline: returned, the target disabled');
});

t.test('Bob disabled as his phone answers (too late to stop the ring): it is his, then goes as every chat of a disabled agent', async (t) => {
  const { h, rec, id, leg, accepting, disable, answer } = await ringingAfterAccept();
  await disable(); // the fake ring ignores the stop: the phone has answered already
  answer();
  await accepting;
  await settled();
  t.notOk(sees(h, 'bob', id), 'Bob has nothing');
  t.not(rec.agentId, 'bob', 'the chat is not his');
  t.equal(leg.state, 'released', 'the call on his phone is released');
  t.ok((await h.center.timeline(id)).some((e) => e.kind === 'requeued'), 'the chat is requeued');
});

t.test('Bob disabled while Complete transfer hands him the call: it is his, then goes as every chat of a disabled agent', async (t) => {
  const { h, desk, telephony, rec, id, leg } = await onCall();
  await desk.consult('alice', id, { to: 'agent:bob' });
  events(telephony, leg.id).answered();
  await settled();
  let handedOver!: () => void;
  const completeConsult = telephony.completeConsult.bind(telephony);
  telephony.completeConsult = async (legId) => {
    await new Promise<void>((resolve) => (handedOver = resolve));
    await completeConsult(legId);
  };
  const completing = desk.complete('alice', id);
  await settled();
  await disableAgent(h, 'bob'); // held back while the bridges swap
  handedOver();
  await completing;
  await settled();
  t.notOk(sees(h, 'bob', id), 'Bob, disabled, has nothing');
  t.not(rec.agentId, 'bob', 'the chat is not his');
  t.ok((await h.center.timeline(id)).some((e) => e.kind === 'requeued'), 'the chat is requeued, for an agent who can answer');
});

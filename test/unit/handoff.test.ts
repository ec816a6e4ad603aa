// Transfers (cold): the handoff state table, the refusals of the guard table, and what each agent
// sees as an interaction is offered on, accepted, returned or cancelled, each step on the timeline.
import t, { type Test } from 'tap';
import type { Service } from '../../src/domain/directory.ts';
import { agentActions } from '../../src/domain/guards.ts';
import { HANDOFF_STATES, type HandoffEvent, type HandoffState } from '../../src/domain/handoff.ts';
import { canApply, nextState } from '../../src/domain/state-table.ts';
import { transferView } from '../../src/web/desktop/handoff-view.ts';
import { FakeTelephony, FakeVideoRooms } from '../helpers/fake-media.ts';
import { activeChat, disableAgent, expectDomainError, makeCenter, makeHandoffDesk, SERVICES, type Harness } from '../helpers/fakes.ts';

const STATES: HandoffState[] = ['offered', 'consulting', 'accepted', 'returned', 'cancelled', 'completed'];
const EVENTS: HandoffEvent[] = ['accept', 'time_out', 'cancel', 'complete'];
const LEGAL: Array<[HandoffState, HandoffEvent, HandoffState]> = [
  ['offered', 'accept', 'accepted'],
  ['offered', 'time_out', 'returned'],
  ['offered', 'cancel', 'cancelled'],
  ['consulting', 'complete', 'completed'],
  ['consulting', 'cancel', 'cancelled'],
];

t.test('the handoff table allows exactly its transitions', async (t) => {
  t.same(Object.keys(HANDOFF_STATES).sort(), [...STATES].sort(), 'the table has exactly these states');
  for (const from of STATES) {
    for (const event of EVENTS) {
      const legal = LEGAL.find(([f, e]) => f === from && e === event);
      t.equal(canApply(HANDOFF_STATES, from, event), legal !== undefined, `${from} + ${event}`);
      if (legal) t.equal(nextState(HANDOFF_STATES, 'handoff', from, event), legal[2]);
      else t.throws(() => nextState(HANDOFF_STATES, 'handoff', from, event), { code: `handoff_${from}` });
    }
  }
});

const WITH_CLOSED: Service[] = [...SERVICES, { id: 'closed', name: 'Closed desk', autoDial: false, disabled: true }];

async function setUp() {
  const h = await makeCenter({ services: WITH_CLOSED });
  const desk = makeHandoffDesk(h);
  h.bus.subscribe((event) => desk.onEvent(event));
  const { interaction } = await activeChat(h, 'alice');
  return { h, desk, id: interaction.id };
}

const steps = async (h: Harness, id: string) => (await h.center.timeline(id)).filter((e) => e.kind === 'handoff').map((e) => [(e.data as { step: string }).step, e.author, e.agentId]);
const sees = (h: Harness, agentId: string, id: string) => h.center.openInteractionsOf(agentId).some((r) => r.id === id);

t.test("the target's Accept is drawn from the guard table: off, with the reason, while a supervisor talks on the call", async (t) => {
  const { h, desk, id } = await setUp();
  h.center.setPresence('bob', 'make_ready');
  await desk.transfer('alice', id, { to: 'agent:bob' });
  const rec = h.interactions.get(id)!;
  const name = async (agentId: string) => agentId;
  t.match(await transferView(rec, 'bob', h.center, h.desk.capabilities, name), { offeredToYou: true, canAcceptTransfer: true, acceptBlockedBy: null }, 'Accept on');
  // As a Whisper that was on its way when the transfer was offered leaves it.
  rec.callLegs.push({ id: 'leg', interactionId: id, serviceId: 'roadside', agentId: 'alice', customerNumber: '+15551234567', state: 'connected', mute: 'unmuted', startedAt: 0, answeredAt: 0, endedAt: null, cause: null, supervisions: [{ id: 's', supervisorId: 'carol', state: 'whispering', startedAt: 0, answeredAt: 0, endedAt: null, cause: null }] });
  const view = await transferView(rec, 'bob', h.center, h.desk.capabilities, name);
  t.match(view, { offeredToYou: true, canAcceptTransfer: false, acceptBlockedBy: /supervisor is talking/ }, 'Accept off, with the reason the server would give');
  t.equal((await transferView(rec, 'alice', h.center, h.desk.capabilities, name)).acceptBlockedBy, null, 'the first agent is shown no Accept reason');
});

t.test('a transfer to a Ready agent is offered to them; on Accept the chat moves and the first agent is free', async (t) => {
  const { h, desk, id } = await setUp();
  h.center.setPresence('bob', 'make_ready');
  await desk.transfer('alice', id, { to: 'agent:bob', note: 'Wants a tow to the garage' });
  t.ok(sees(h, 'bob', id), 'Bob is offered the chat');
  t.ok(await h.center.interactionForAgent('bob', id), 'and may read its whole timeline');
  await h.center.postAgentMessage('alice', id, 'Still with you while Bob picks up');
  await expectDomainError(t, desk.transfer('alice', id, { to: 'agent:bob' }), 'conflict', 'handoff_in_progress', 'a second transfer');
  const acceptedByAlice = h.interactions.get(id)!.acceptedAt;
  h.clock.advance(3_000);
  await desk.accept('bob', id);
  t.equal(h.center.openInteractionsOf('bob')[0]?.agentId, 'bob');
  t.match(h.interactions.get(id), { acceptedAt: acceptedByAlice, heldSince: h.clock.now() }, "Bob holds it from his Accept (the supervisor's floor counts from there); the first acceptance stays");
  t.notOk(sees(h, 'alice', id), 'Alice no longer has it');
  t.equal(h.center.agentState('alice').interactions.size, 0, 'Alice is free for new chats');
  await expectDomainError(t, h.center.postAgentMessage('alice', id, 'hello?'), 'forbidden', 'not_your_chat');
  await h.center.postAgentMessage('bob', id, 'Bob here, I have your file');
  t.same(await steps(h, id), [
    ['offered', 'agent', 'alice'],
    ['accepted', 'agent', 'bob'],
  ]);
  const offered = (await h.center.timeline(id)).find((e) => e.kind === 'handoff');
  t.equal(offered?.text, 'Wants a tow to the garage', 'the note is on the timeline');
});

t.test('an offer nobody accepts returns to the first agent, and the timeline says so', async (t) => {
  const { h, desk, id } = await setUp();
  h.center.setPresence('bob', 'make_ready');
  await desk.transfer('alice', id, { to: 'agent:bob' });
  h.clock.advance(h.config.offerTimeoutMs);
  await new Promise((resolve) => setImmediate(resolve));
  t.notOk(sees(h, 'bob', id), 'Bob is no longer offered it');
  t.ok(sees(h, 'alice', id), 'Alice still handles it');
  await h.center.postAgentMessage('alice', id, 'Back with me');
  await expectDomainError(t, desk.accept('bob', id), 'conflict', 'no_transfer', 'a late Accept');
  t.same(await steps(h, id), [
    ['offered', 'agent', 'alice'],
    ['returned', 'system', null],
  ]);
});

t.test('while a transfer is offered no call or video starts (it would be left behind)', async (t) => {
  const h = await makeCenter({ services: WITH_CLOSED });
  const desk = makeHandoffDesk(h);
  const { interaction } = await activeChat(h, 'alice');
  h.center.setPresence('bob', 'make_ready');
  await desk.transfer('alice', interaction.id, { to: 'agent:bob' });
  const may = agentActions(interaction, 'alice', { callingConfigured: true, videoConfigured: true });
  t.equal(may.call?.code, 'handoff_in_progress');
  t.equal(may.post_message, null, 'the first agent keeps writing meanwhile');
  // A restart loses the offer's timer: the new leader gives the chat back to the first agent.
  desk.recover();
  t.notOk(sees(h, 'bob', interaction.id));
  t.equal(h.center.agentState('bob').pendingOffer, null);
  await new Promise((resolve) => setImmediate(resolve));
  t.same((await steps(h, interaction.id)).map((s) => s[0]), ['offered', 'returned']);
});

t.test('a transfer to a service goes to its Ready agent', async (t) => {
  const { h, desk, id } = await setUp();
  h.center.setPresence('carol', 'make_ready');
  await desk.transfer('alice', id, { to: 'service:billing' });
  t.ok(sees(h, 'carol', id), 'Carol (Billing) is offered the chat');
  await desk.accept('carol', id);
  t.equal(h.interactions.get(id)?.agentId, 'carol');
});

t.test('the first agent can cancel; the target and others cannot', async (t) => {
  const { h, desk, id } = await setUp();
  h.center.setPresence('bob', 'make_ready');
  await desk.transfer('alice', id, { to: 'agent:bob' });
  await expectDomainError(t, desk.cancel('bob', id), 'forbidden', 'not_your_chat');
  await expectDomainError(t, desk.accept('carol', id), 'forbidden', 'not_offered_to_you');
  await desk.cancel('alice', id);
  t.notOk(sees(h, 'bob', id));
  t.equal(h.center.agentState('bob').pendingOffer, null, 'Bob can be offered other chats');
  t.same((await steps(h, id)).map((s) => s[0]), ['offered', 'cancelled']);
});

t.test('a target who stops being Ready, or a customer who ends, ends the offer', async (t) => {
  const { h, desk, id } = await setUp();
  h.center.setPresence('bob', 'make_ready');
  await desk.transfer('alice', id, { to: 'agent:bob' });
  h.center.setPresence('bob', 'make_not_ready');
  t.notOk(sees(h, 'bob', id));
  h.center.setPresence('bob', 'make_ready');
  await desk.transfer('alice', id, { to: 'agent:bob' });
  await h.center.endByCustomer(id);
  await new Promise((resolve) => setImmediate(resolve));
  await expectDomainError(t, desk.accept('bob', id), 'conflict', 'chat_ended');
  t.same((await steps(h, id)).map((s) => s[0]), ['offered', 'returned', 'offered', 'cancelled']);
});

t.test('a transfer ended by the first agent ending the chat says so, not that the customer did', async (t) => {
  const { h, desk, id } = await setUp();
  await h.center.setPresence('bob', 'make_ready');
  await desk.transfer('alice', id, { to: 'agent:bob' });
  await h.center.disconnect('alice', id);
  await h.store.settled();
  const cancelled = (await h.center.timeline(id)).find((e) => e.kind === 'handoff' && (e.data as { step: string }).step === 'cancelled');
  t.match(cancelled?.data, { reason: 'agent_ended' });
});

t.test('an admin disabling the first agent ends their transfer: the target is free, the chat goes to the queue, no late lapse', async (t) => {
  const { h, desk, id } = await setUp();
  await h.center.setPresence('bob', 'make_ready');
  await desk.transfer('alice', id, { to: 'agent:bob', note: 'over to you' });
  await disableAgent(h, 'alice');
  t.equal(h.center.agentState('bob').pendingOffer, id, 'the chat, back in the queue, is offered to Bob as any chat');
  const rec = h.interactions.require(id);
  t.same([rec.state, rec.handoff], ['offered', null], 'no transfer left in progress');
  await h.center.accept('bob', id);
  h.clock.advance(h.config.offerTimeoutMs);
  t.equal(h.interactions.require(id).agentId, 'bob', 'the old transfer\'s time running out changes nothing');
  await h.store.settled();
  t.same((await steps(h, id)).map((s) => s[0]), ['offered', 'cancelled'], 'offered, then cancelled, never returned');
  const cancelled = (await h.center.timeline(id)).find((e) => e.kind === 'handoff' && (e.data as { step: string }).step === 'cancelled');
  t.match(cancelled?.data, { reason: 'first_agent_disabled' });
});

t.test('an Allow whose room opened while a transfer was offered does not start the video, and leaves no room', async (t) => {
  let opened: () => void = () => undefined;
  const video = new (class extends FakeVideoRooms {
    override async open(sessionId: string): Promise<void> {
      await new Promise<void>((resolve) => (opened = resolve));
      return super.open(sessionId);
    }
  })();
  const h = await makeCenter({ video });
  const desk = makeHandoffDesk(h);
  h.bus.subscribe((event) => desk.onEvent(event));
  const { interaction } = await activeChat(h, 'alice');
  await h.center.setPresence('bob', 'make_ready');
  const { video: session } = await h.desk.requestVideo(interaction.id);
  const allowing = h.desk.allowVideo('alice', interaction.id);
  await desk.transfer('alice', interaction.id, { to: 'agent:bob' });
  opened();
  await expectDomainError(t, allowing, 'conflict', 'handoff_in_progress');
  t.equal(session.state, 'requested', 'the video did not start under the transfer');
  t.equal(video.rooms.size, 0, 'and its room was closed');
  await desk.accept('bob', interaction.id);
  t.equal(h.interactions.require(interaction.id).agentId, 'bob', 'the transfer went through');
});

const refused = async (t: Test, setup: (h: Harness, id: string) => void, to: string, kind: 'conflict' | 'not_found' | 'forbidden' | 'invalid', code: string, by = 'alice') => {
  const { h, desk, id } = await setUp();
  setup(h, id);
  await expectDomainError(t, desk.transfer(by, id, { to }), kind, code);
  t.notOk(sees(h, 'bob', id), 'nothing was offered');
  t.same(await steps(h, id), [], 'nothing on the timeline');
};

t.test('every refusal names its reason and moves nothing', async (t) => {
  const ready = (h: Harness) => h.center.setPresence('bob', 'make_ready');
  await refused(t, ready, 'agent:alice', 'conflict', 'transfer_to_self');
  await refused(t, ready, 'agent:nobody', 'not_found', 'unknown_agent');
  await refused(t, () => {}, 'agent:bob', 'conflict', 'agent_not_ready');
  await refused(t, ready, 'service:closed', 'conflict', 'service_disabled');
  await refused(t, ready, 'service:nowhere', 'not_found', 'unknown_service');
  await refused(t, ready, 'service:billing', 'conflict', 'no_agent_ready');
  await refused(t, ready, 'bob', 'invalid', 'invalid_transfer_target');
  await refused(t, ready, 'agent:bob', 'forbidden', 'not_your_chat', 'carol');
  const dialing = (h: Harness, id: string) => {
    ready(h);
    h.interactions.get(id)!.callLegs.push({ id: 'leg', interactionId: id, serviceId: 'roadside', agentId: 'alice', customerNumber: '+15551234567', state: 'dialing_customer', mute: 'unmuted', startedAt: 0, answeredAt: null, endedAt: null, cause: null });
  };
  await refused(t, dialing, 'agent:bob', 'conflict', 'call_being_placed');
  const video = (h: Harness, id: string) => {
    ready(h);
    h.interactions.get(id)!.video = { id: 'v', interactionId: id, state: 'active', requestedAt: 0, startedAt: 0, endedAt: null, endedBy: null };
  };
  await refused(t, video, 'agent:bob', 'conflict', 'video_active');
  const supervised = (h: Harness, id: string) => {
    dialing(h, id);
    Object.assign(h.interactions.get(id)!.callLegs[0]!, { state: 'connected', supervisions: [{ id: 's', supervisorId: 'carol', state: 'barging', startedAt: 0, answeredAt: 0, endedAt: null, cause: null }] });
  };
  await refused(t, supervised, 'agent:bob', 'conflict', 'call_supervised');
});

t.test('after the customer ended, a transfer is refused', async (t) => {
  const { h, desk, id } = await setUp();
  h.center.setPresence('bob', 'make_ready');
  await h.center.endByCustomer(id);
  await expectDomainError(t, desk.transfer('alice', id, { to: 'agent:bob' }), 'conflict', 'chat_ended');
});

t.test('two transfers at once: one is offered, the other refused', async (t) => {
  const { h, desk, id } = await setUp();
  h.center.setPresence('bob', 'make_ready');
  h.center.setPresence('carol', 'make_ready');
  const both = await Promise.allSettled([desk.transfer('alice', id, { to: 'agent:bob' }), desk.transfer('alice', id, { to: 'service:billing' })]);
  t.same(both.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  const rejected = both.find((r) => r.status === 'rejected');
  t.equal((rejected?.reason as { code?: string }).code, 'handoff_in_progress');
  t.equal((await steps(h, id)).length, 1, 'one offer on the timeline');
});

t.test('a live call moves with the chat on Accept; a phone that does not answer leaves it all with the first agent', async (t) => {
  const telephony = new FakeTelephony();
  const h = await makeCenter({ telephony });
  const desk = makeHandoffDesk(h);
  const { interaction } = await activeChat(h, 'alice');
  const leg = await h.desk.callCustomer('alice', interaction.id);
  await h.desk.onCallEvent(interaction.id, leg.id, 'agent_answered');
  h.center.setPresence('bob', 'make_ready');
  await expectDomainError(t, desk.transfer('alice', interaction.id, { to: 'agent:bob' }), 'conflict', 'call_being_placed');
  await h.desk.onCallEvent(interaction.id, leg.id, 'customer_answered');
  await desk.transfer('alice', interaction.id, { to: 'agent:bob' });
  telephony.failNext = new Error('no answer');
  await expectDomainError(t, desk.accept('bob', interaction.id), 'unavailable', 'transfer_call_failed');
  t.equal(interaction.agentId, 'alice', 'the chat stays with Alice');
  t.equal(leg.agentId, 'alice', 'and the call');
  t.notOk(sees(h, 'bob', interaction.id), 'the offer is withdrawn');

  await h.desk.toggleMute('alice', interaction.id);
  await desk.transfer('alice', interaction.id, { to: 'agent:bob' });
  await desk.accept('bob', interaction.id);
  t.equal(telephony.calls.at(-1), `move ${leg.id} to bob (2)`, "the customer's leg goes to Bob's phone (a channel of its own: the unanswered ring had turn 1)");
  t.equal(leg.state, 'connected', 'the same call leg, still up');
  t.equal(leg.agentId, 'bob');
  t.equal(leg.mute, 'unmuted', 'Bob starts unmuted');
  t.equal(interaction.agentId, 'bob');
  t.equal(agentActions(interaction, 'bob', h.desk.capabilities).release_call, null, 'Bob may release the call');
  t.same((await steps(h, interaction.id)).map((s) => s[0]), ['offered', 'returned', 'offered', 'accepted']);
});

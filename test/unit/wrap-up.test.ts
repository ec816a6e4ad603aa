// Wrap-up (after-call work): the presence table's wrap_up state, the rules of Done, and routing that
// offers nothing to an agent in wrap-up until Done or until the service's wrap-up time runs out.
import t, { type Test } from 'tap';
import { AfterCallWork } from '../../src/domain/after-call-work.ts';
import { applyPresence, PRESENCE_STATES, type AgentState, type Presence, type PresenceEvent } from '../../src/domain/agent-presence.ts';
import { ClosingTimeline } from '../../src/domain/closing-timeline.ts';
import type { Agent, Service } from '../../src/domain/directory.ts';
import { chooseAgent } from '../../src/domain/routing.ts';
import { canApply, nextState } from '../../src/domain/state-table.ts';
import { checkWrapUp, wrapUpSettings } from '../../src/domain/wrap-up.ts';
import { MemoryClosureStore } from '../helpers/fake-ports.ts';
import { activeChat, expectDomainError, makeCenter, startChat, type HarnessOptions } from '../helpers/fakes.ts';

const CODES = ['Resolved', 'Follow-up needed'];
const SERVICES: Service[] = [
  { id: 'roadside', name: 'Roadside assistance', autoDial: false, dispositionCodes: CODES, wrapUpSeconds: 60, afterWrapUp: 'not_ready' },
  { id: 'billing', name: 'Billing', autoDial: false },
];

const AGENTS: Agent[] = [
  { id: 'alice', displayName: 'Alice', passwordHash: 'x', serviceIds: ['roadside', 'billing'], role: 'agent' },
  { id: 'bob', displayName: 'Bob', passwordHash: 'x', serviceIds: ['roadside'], role: 'agent' },
];

const PRESENCES: Presence[] = ['not_ready', 'ready', 'wrap_up'];
const EVENTS: PresenceEvent[] = ['make_ready', 'make_not_ready', 'start_wrap_up', 'resume_ready', 'resume_not_ready', 'log_out'];
const LEGAL: Array<[Presence, PresenceEvent, Presence]> = [
  ['not_ready', 'make_ready', 'ready'],
  ['not_ready', 'make_not_ready', 'not_ready'],
  ['not_ready', 'start_wrap_up', 'wrap_up'],
  ['ready', 'make_ready', 'ready'],
  ['ready', 'make_not_ready', 'not_ready'],
  ['ready', 'start_wrap_up', 'wrap_up'],
  ['wrap_up', 'start_wrap_up', 'wrap_up'],
  ['wrap_up', 'resume_ready', 'ready'],
  ['wrap_up', 'resume_not_ready', 'not_ready'],
  // Logging out always works: an agent in wrap-up is not held logged in until Done.
  ['not_ready', 'log_out', 'not_ready'],
  ['ready', 'log_out', 'not_ready'],
  ['wrap_up', 'log_out', 'not_ready'],
];

const agentIn = (presence: Presence): AgentState => ({ agentId: 'alice', serviceIds: ['roadside'], presence, idleSince: 0, interactions: new Set(), pendingOffer: null });

t.test('presence table: wrap_up is entered when an interaction ends and left only by Done or its time', async (t) => {
  for (const [from, event, to] of LEGAL) t.equal(nextState(PRESENCE_STATES, 'agent', from, event), to, `${from} --${event}--> ${to}`);
  const legal = new Set(LEGAL.map(([from, event]) => `${from}/${event}`));
  for (const from of PRESENCES) {
    for (const event of EVENTS) {
      if (legal.has(`${from}/${event}`)) continue;
      t.notOk(canApply(PRESENCE_STATES, from, event), `${from} refuses ${event}`);
      const a = agentIn(from);
      await expectDomainError(t, () => applyPresence(a, event, 1), 'conflict', `agent_${from}`);
      t.equal(a.presence, from, 'unchanged');
    }
  }
});

t.test('routing offers nothing to an agent in wrap-up', async (t) => {
  t.equal(chooseAgent('roadside', [agentIn('wrap_up')], 3), undefined);
  t.equal(chooseAgent('roadside', [agentIn('ready')], 3)?.agentId, 'alice');
});

t.test('checkWrapUp: a code of the service, notes trimmed; an unknown or missing code is refused', async (t) => {
  const settings = wrapUpSettings(SERVICES[0]);
  t.same(checkWrapUp({ disposition: 'Resolved', notes: '  towed  ' }, settings), { disposition: 'Resolved', notes: 'towed' });
  await expectDomainError(t, () => checkWrapUp({ disposition: 'Bogus', notes: '' }, settings), 'invalid', 'unknown_disposition');
  await expectDomainError(t, () => checkWrapUp({ disposition: '', notes: '' }, settings), 'invalid', 'disposition_required');
  await expectDomainError(t, () => checkWrapUp({ disposition: 'Resolved', notes: 'x'.repeat(2001) }, settings), 'invalid', 'notes_too_long');
  t.same(checkWrapUp({ disposition: '', notes: '' }, wrapUpSettings(SERVICES[1])), { disposition: null, notes: '' }, 'a service without codes takes none');
});

async function harness(_t: Test, options: HarnessOptions = {}) {
  const h = await makeCenter({ services: SERVICES, agents: AGENTS, ...options });
  const closures = new MemoryClosureStore(h.store);
  const work = new AfterCallWork({
    interactions: h.interactions,
    closing: new ClosingTimeline(h.interactions),
    closures,
    directory: h.directory,
    clock: h.clock,
    timers: h.clock,
    presence: h.center,
  });
  work.servicesChanged(SERVICES);
  h.bus.subscribe((event) => work.onEvent(event));
  return { ...h, work, closures };
}


t.test('after Disconnect the agent is in wrap-up and gets the next chat only after Done', async (t) => {
  const h = await harness(t);
  const first = await activeChat(h, 'alice');
  await h.center.disconnect('alice', first.interaction.id);
  t.equal(h.center.agentState('alice').presence, 'wrap_up');
  t.same(h.work.awaiting('alice'), [first.interaction.id]);
  const second = await startChat(h);
  t.equal(second.interaction.state, 'queued', 'not offered during wrap-up');
  await expectDomainError(t, () => h.center.setPresence('alice', 'make_ready'), 'conflict', 'agent_wrap_up', 'Ready is refused during wrap-up');

  const done = await h.work.done('alice', first.interaction.id, { disposition: 'Resolved', notes: 'Tow truck sent' });
  t.equal(done.disposition, 'Resolved');
  t.equal(h.center.agentState('alice').presence, 'ready', 'back to Ready, as before the chat ended');
  t.equal(second.interaction.state, 'offered', 'the waiting chat is offered at once');
  t.equal(second.interaction.offeredTo, 'alice');
  const entries = h.store.entriesOf(first.interaction.id).filter((e) => e.kind === 'wrap_up');
  t.equal(entries.length, 1, 'one timeline entry');
  t.match(entries[0], { author: 'agent', agentId: 'alice', text: 'Tow truck sent', data: { disposition: 'Resolved' } });
});

t.test('a chat ringing for the agent when wrap-up begins goes back to the queue, to someone free; the agent stays in wrap-up', async (t) => {
  const h = await harness(t);
  const first = await activeChat(h, 'alice');
  const ringing = await startChat(h);
  t.equal(ringing.interaction.offeredTo, 'alice', 'rings for Alice, who has room for it');
  await h.center.disconnect('alice', first.interaction.id);
  t.equal(h.center.agentState('alice').presence, 'wrap_up');
  t.equal(ringing.interaction.state, 'queued', 'back in the queue');
  t.equal(h.center.agentState('alice').pendingOffer, null, 'nothing rings for her');
  await expectDomainError(t, h.center.accept('alice', ringing.interaction.id), 'forbidden', 'not_offered_to_you');
  await h.center.setPresence('bob', 'make_ready');
  t.equal(ringing.interaction.offeredTo, 'bob', 'offered to Bob once he is Ready');
  h.clock.advance(30_000);
  t.equal(h.center.agentState('alice').presence, 'wrap_up', 'no offer lapsed on Alice: her wrap-up goes on');
  await h.store.settled();
  t.match(h.store.entriesOf(ringing.interaction.id).map((e) => [e.kind, e.agentId]), [['offered', 'alice'], ['requeued', 'alice'], ['offered', 'bob'], ['offer_expired', 'bob']]);
});

t.test('when the customer ends the chat the agent is in wrap-up too; its time running out makes it Not Ready (service setting)', async (t) => {
  const h = await harness(t);
  const chat = await activeChat(h, 'alice');
  await h.center.endByCustomer(chat.interaction.id);
  t.equal(h.center.agentState('alice').presence, 'wrap_up');
  h.clock.advance(59_000);
  t.equal(h.center.agentState('alice').presence, 'wrap_up', 'still in wrap-up before its time');
  h.clock.advance(1_000);
  t.equal(h.center.agentState('alice').presence, 'not_ready', 'Not Ready, as the service says');
  t.same(h.work.awaiting('alice'), []);
  // Done after the time ran out still records the disposition, once.
  await h.work.done('alice', chat.interaction.id, { disposition: 'Follow-up needed', notes: '' });
  t.equal(h.center.agentState('alice').presence, 'not_ready');
});

t.test('refusals change nothing: unknown code, Done twice, Done on an interaction of someone else, Done before the end', async (t) => {
  const h = await harness(t);
  const chat = await activeChat(h, 'alice');
  const id = chat.interaction.id;
  await expectDomainError(t, h.work.done('alice', id, { disposition: 'Resolved', notes: '' }), 'conflict', 'interaction_not_ended');
  await h.center.disconnect('alice', id);
  await expectDomainError(t, h.work.done('alice', id, { disposition: 'Bogus', notes: '' }), 'invalid', 'unknown_disposition');
  await expectDomainError(t, h.work.done('bob', id, { disposition: 'Resolved', notes: '' }), 'forbidden', 'not_your_interaction');
  t.equal(h.closures.wrapUps.size, 0, 'nothing recorded');
  t.equal(h.center.agentState('alice').presence, 'wrap_up', 'still in wrap-up');
  await h.work.done('alice', id, { disposition: 'Resolved', notes: 'first' });
  await expectDomainError(t, h.work.done('alice', id, { disposition: 'Follow-up needed', notes: 'second' }), 'conflict', 'already_wrapped_up');
  t.equal(h.closures.wrapUps.get(id)?.notes, 'first', 'the first Done stands');
  t.equal(h.store.entriesOf(id).filter((e) => e.kind === 'wrap_up').length, 1, 'one timeline entry');
});

t.test('Done whose timeline write failed after the wrap-up was stored: sent again, it is already wrapped up, and the agent is let go', async (t) => {
  const h = await harness(t);
  const chat = await activeChat(h, 'alice');
  const id = chat.interaction.id;
  await h.center.disconnect('alice', id);
  h.store.failNextAppends(new Error('disk full'));
  await t.rejects(h.work.done('alice', id, { disposition: 'Resolved', notes: '' }), /disk full/, 'the first Done fails');
  t.equal(h.closures.wrapUps.get(id)?.disposition, 'Resolved', 'its wrap-up was stored');
  await expectDomainError(t, h.work.done('alice', id, { disposition: 'Resolved', notes: '' }), 'conflict', 'already_wrapped_up');
  t.equal(h.center.agentState('alice').presence, 'ready', 'back to Ready, not held in wrap-up until its time runs out');
  t.same(h.work.awaiting('alice'), []);
});

t.test('two chats ending: wrap-up lasts until Done for both', async (t) => {
  const h = await harness(t);
  const a = await activeChat(h, 'alice');
  const b = await startChat(h);
  await h.center.accept('alice', b.interaction.id);
  await h.center.disconnect('alice', a.interaction.id);
  await h.center.disconnect('alice', b.interaction.id);
  await h.work.done('alice', a.interaction.id, { disposition: 'Resolved', notes: '' });
  t.equal(h.center.agentState('alice').presence, 'wrap_up', 'one still awaits Done');
  await h.work.done('alice', b.interaction.id, { disposition: 'Resolved', notes: '' });
  t.equal(h.center.agentState('alice').presence, 'ready');
});

t.test('a wrap-up left without Done (Log out) does not decide where a later one returns the agent', async (t) => {
  const h = await harness(t);
  const a = await activeChat(h, 'alice');
  const b = await startChat(h);
  await h.center.accept('alice', b.interaction.id);
  await h.center.disconnect('alice', a.interaction.id);
  t.equal(h.center.agentState('alice').presence, 'wrap_up', 'Ready before: Done would make her Ready again');
  h.center.setPresence('alice', 'log_out');
  t.equal(h.center.agentState('alice').presence, 'not_ready', 'logged out, Done still owed for the first chat');
  // Back, she stays Not Ready (a break) and ends the chat she still has.
  await h.center.disconnect('alice', b.interaction.id);
  await h.work.done('alice', a.interaction.id, { disposition: 'Resolved', notes: '' });
  await h.work.done('alice', b.interaction.id, { disposition: 'Resolved', notes: '' });
  t.equal(h.center.agentState('alice').presence, 'not_ready', 'Not Ready, as she was when this wrap-up began');
});

t.test('a chat that ended before anyone accepted it starts no wrap-up', async (t) => {
  const h = await harness(t);
  h.center.setPresence('alice', 'make_ready');
  const chat = await startChat(h);
  await h.center.endByCustomer(chat.interaction.id);
  t.equal(h.center.agentState('alice').presence, 'ready');
});

t.test('a service whose wrap-up time is 0 leaves the agent free at once; Done still records the disposition', async (t) => {
  const h = await harness(t);
  const chat = await activeChat(h, 'alice', { serviceId: 'billing' });
  await h.center.disconnect('alice', chat.interaction.id);
  t.equal(h.center.agentState('alice').presence, 'ready');
  t.same(h.work.awaiting('alice'), []);
  await h.work.done('alice', chat.interaction.id, { disposition: '', notes: 'paid' });
  t.equal(h.closures.wrapUps.get(chat.interaction.id)?.notes, 'paid');
});

// A new leader's after-call work over the same stores, where the last one left off: the agents'
// presence as stored (in wrap-up, here), and its own timers from now on.
async function restartedWork(_t: Test, endedAgo: number) {
  const h = await makeCenter({ services: SERVICES, agents: AGENTS });
  const closures = new MemoryClosureStore(h.store);
  const chat = await activeChat(h, 'alice');
  await h.center.endByCustomer(chat.interaction.id);
  h.center.setPresence('alice', 'start_wrap_up');
  h.clock.advance(endedAgo);
  const work = new AfterCallWork({ interactions: h.interactions, closing: new ClosingTimeline(h.interactions), closures, directory: h.directory, clock: h.clock, timers: h.clock, presence: h.center });
  work.servicesChanged(SERVICES);
  await work.recover();
  return { ...h, work, closures, id: chat.interaction.id };
}

t.test('a new leader takes up a wrap-up in progress with the time it had left', async (t) => {
  const h = await restartedWork(t, 20_000);
  t.same(h.work.awaiting('alice'), [h.id], 'Done is owed again');
  t.equal(h.center.agentState('alice').presence, 'wrap_up', 'still in wrap-up');
  h.clock.advance(39_999);
  t.equal(h.center.agentState('alice').presence, 'wrap_up', 'until its 60 s from the end have passed');
  h.clock.advance(1);
  t.equal(h.center.agentState('alice').presence, 'not_ready', 'then Not Ready, as the service says');
  await h.work.done('alice', h.id, { disposition: 'Resolved', notes: '' });
  t.ok(h.store.entriesOf(h.id).some((e) => e.kind === 'wrap_up'), 'Done still records it');
});

t.test('a wrap-up whose time ran out while no leader ran ends at the start; one already done is not owed again', async (t) => {
  const h = await restartedWork(t, 61_000);
  t.same(h.work.awaiting('alice'), []);
  t.equal(h.center.agentState('alice').presence, 'not_ready', 'out of wrap-up at once, as the service says');

  const done = await restartedWork(t, 1_000);
  await done.work.done('alice', done.id, { disposition: 'Resolved', notes: '' });
  const again = new AfterCallWork({ interactions: done.interactions, closing: new ClosingTimeline(done.interactions), closures: done.closures, directory: done.directory, clock: done.clock, timers: done.clock, presence: done.center });
  again.servicesChanged(SERVICES);
  await again.recover();
  t.same(again.awaiting('alice'), [], 'a wrap-up recorded before the restart is not owed again');
});

t.test("after a new leader, Done on every wrap-up owed brings the agent back as the service of the last chat says", async (t) => {
  const services: Service[] = [SERVICES[0]!, { ...SERVICES[1]!, dispositionCodes: CODES, wrapUpSeconds: 60, afterWrapUp: 'ready' }];
  const h = await makeCenter({ services, agents: AGENTS, config: { maxChatsPerAgent: 2 } });
  const closures = new MemoryClosureStore(h.store);
  const roadside = await activeChat(h, 'alice');
  const billing = await activeChat(h, 'alice', { serviceId: 'billing' });
  await h.center.endByCustomer(roadside.interaction.id);
  h.clock.advance(10_000);
  await h.center.endByCustomer(billing.interaction.id);
  h.center.setPresence('alice', 'start_wrap_up');
  const work = new AfterCallWork({ interactions: h.interactions, closing: new ClosingTimeline(h.interactions), closures, directory: h.directory, clock: h.clock, timers: h.clock, presence: h.center });
  work.servicesChanged(services);
  await work.recover();
  t.equal(work.awaiting('alice').length, 2);
  await work.done('alice', roadside.interaction.id, { disposition: 'Resolved', notes: '' });
  await work.done('alice', billing.interaction.id, { disposition: 'Resolved', notes: '' });
  t.equal(h.center.agentState('alice').presence, 'ready', "Ready, as Billing's After wrap-up says (its chat ended last)");
});

// Listen / Whisper / Barge / Stop in the rules: who may, on which call, the supervisor's state table,
// what the timeline says and who sees it (the agent only when it hears the supervisor; never the customer).
import t from 'tap';
import type { CallLeg, CallLegState } from '../../src/domain/call-leg.ts';
import { handoffActions, supervisorActions, type MediaCapabilities } from '../../src/domain/guards.ts';
import type { InteractionRecord } from '../../src/domain/interaction.ts';
import { SupervisionDesk } from '../../src/domain/supervision-desk.ts';
import { SUPERVISION_STATES, type CallSupervision, type Supervision, type SupervisionMode, type SupervisionRequest } from '../../src/domain/supervision.ts';
import { shownToAgents, visibleToCustomer } from '../../src/domain/timeline.ts';
import { activeChat, AGENTS, expectDomainError, interactionRecord, makeCenter, makeHandoffDesk } from '../helpers/fakes.ts';
import { FakeTelephony } from '../helpers/fake-media.ts';

// Records what the telephony was asked, in order.
class FakeSupervision implements CallSupervision {
  readonly calls: string[] = [];
  failJoin: Error | null = null;
  // Holds a join until it resolves (the supervisor's phone being looked up, the interaction's queue busy).
  joinHeld: Promise<void> | null = null;
  // Holds a mode change, and what is queued behind it in the telephony (a leave), until it resolves.
  modeHeld: Promise<void> | null = null;
  async join(r: SupervisionRequest): Promise<void> {
    this.calls.push(`join ${r.supervisorId} ${r.legId}`);
    await this.joinHeld;
    if (this.failJoin) throw this.failJoin;
    this.calls.push(`rung ${r.supervisionId}`);
  }
  async setMode(id: string, mode: SupervisionMode): Promise<void> {
    await this.modeHeld;
    this.calls.push(`${mode} ${id}`);
  }
  // What the telephony reports while a leave is on its way (the phone's hangup, say).
  duringLeave: (() => Promise<void>) | null = null;
  async leave(id: string): Promise<void> {
    // Behind a held mode change, as in the telephony's queue: that change is taken in by the rules first.
    if (this.modeHeld) await this.modeHeld.then(() => new Promise((resolve) => setImmediate(resolve)));
    await this.duringLeave?.();
    this.calls.push(`leave ${id}`);
  }
}

const PEOPLE = [...AGENTS, { id: 'sam', displayName: 'Sam Supervisor', passwordHash: 'x', serviceIds: [], role: 'supervisor' as const }, { id: 'ada', displayName: 'Ada Admin', passwordHash: 'x', serviceIds: [], role: 'admin' as const }];

async function callInProgress() {
  const h = await makeCenter({ telephony: new FakeTelephony(), agents: PEOPLE });
  const telephony = new FakeSupervision();
  const desk = new SupervisionDesk({ interactions: h.interactions, telephony, directory: h.directory, clock: h.clock, capabilities: h.desk.capabilities });
  const { interaction } = await activeChat(h, 'alice');
  const leg = await h.desk.callCustomer('alice', interaction.id);
  await h.desk.onCallEvent(interaction.id, leg.id, 'agent_answered');
  await h.desk.onCallEvent(interaction.id, leg.id, 'customer_answered');
  const entries = async () => (await h.center.timeline(interaction.id)).filter((e) => e.kind === 'supervision');
  return { h, desk, telephony, id: interaction.id, leg, entries };
}

t.test('the state table: Listen answers into listening, modes change without joining again, every state can leave', async (t) => {
  t.same(Object.keys(SUPERVISION_STATES.joining).sort(), ['answered', 'call_ended', 'fail', 'handover', 'hangup', 'stop']);
  for (const state of ['listening', 'whispering', 'barging'] as const) {
    t.equal(SUPERVISION_STATES[state].stop, 'ended', `${state}: Stop leaves`);
    t.equal(SUPERVISION_STATES[state].call_ended, 'ended', `${state}: the call's end ends it`);
  }
  t.same([SUPERVISION_STATES.joining.handover, SUPERVISION_STATES.listening.handover, SUPERVISION_STATES.whispering.handover, SUPERVISION_STATES.barging.handover], ['ended', 'ended', 'ended', 'ended'], 'a handover takes every supervisor off the call (the guards start one only while none is heard)');
  t.same(SUPERVISION_STATES.ended, {}, 'ended is final');
});

t.test('a supervisor listens, whispers, barges and stops: one timeline entry each, the same phone call throughout', async (t) => {
  const { h, desk, telephony, id, leg, entries } = await callInProgress();
  const joined = await desk.listen('sam', id);
  t.equal(joined.state, 'joining', 'Listen rings the supervisor’s phone first');
  await expectDomainError(t, desk.whisper('sam', id), 'conflict', 'supervision_joining', 'no whisper before the phone answered');
  await desk.onSupervisionEvent(id, joined.id, 'answered');
  t.equal(joined.state, 'listening');
  await desk.whisper('sam', id);
  await expectDomainError(t, desk.whisper('sam', id), 'conflict', 'supervision_whispering', 'Whisper while whispering');
  await desk.barge('sam', id);
  await desk.listen('sam', id);
  await desk.stop('sam', id);
  t.same(telephony.calls, [`join sam ${leg.id}`, `rung ${joined.id}`, `whisper ${joined.id}`, `barge ${joined.id}`, `listen ${joined.id}`, `leave ${joined.id}`], 'joined once, then modes on the same call');
  const list = await entries();
  t.same(list.map((e) => (e.data as { state: string }).state), ['joining', 'listening', 'whispering', 'barging', 'listening', 'ended']);
  t.ok(list.every((e) => e.agentId === 'sam'), 'each entry names the supervisor');
  t.same(list.map((e) => shownToAgents(e)), [false, false, true, true, false, false], 'the agent is told only while it hears the supervisor');
  t.ok(list.every((e) => !visibleToCustomer(e)), 'the customer never sees a supervision');
  const stored = await h.store.getInteraction(id);
  t.equal(stored?.callLegs[0]?.supervisions?.[0]?.state, 'ended', 'the supervision is stored with its call leg');
});

t.test('who may: agents are refused, the call’s own agent too; admins may', async (t) => {
  const { desk, id } = await callInProgress();
  await expectDomainError(t, desk.listen('bob', id), 'forbidden', 'supervisors_only', 'an agent');
  await expectDomainError(t, desk.stop('bob', id), 'forbidden', 'supervisors_only', 'an agent’s Stop');
  const joined = await desk.listen('ada', id);
  t.equal(joined.state, 'joining', 'an admin listens');
  await expectDomainError(t, desk.stop('sam', id), 'conflict', 'not_supervising', 'Stop by a supervisor not on the call');
});

t.test('a call that has ended cannot be listened to, and its end ends the supervision', async (t) => {
  const { h, desk, id, leg, entries } = await callInProgress();
  const joined = await desk.listen('sam', id);
  await desk.onSupervisionEvent(id, joined.id, 'answered');
  await h.desk.releaseCall('alice', id);
  await desk.onSupervisionEvent(id, joined.id, 'call_ended');
  t.equal(joined.state, 'ended');
  t.equal(joined.cause, 'the call ended');
  const refusal = await expectDomainError(t, desk.listen('ada', id), 'conflict', 'no_call', 'Listen after the call ended');
  t.match(refusal?.message, /ended/);
  await desk.onSupervisionEvent(id, joined.id, 'hangup');
  t.equal((await entries()).length, 3, 'a late hangup adds nothing');
  t.equal(leg.state, 'released');
});

t.test('a supervisor phone that cannot be rung ends the supervision with the reason', async (t) => {
  const { desk, telephony, id, entries } = await callInProgress();
  telephony.failJoin = new Error("the supervisor's phone is not registered");
  const joined = await desk.listen('sam', id);
  t.equal(joined.state, 'ended');
  t.equal(joined.cause, "the supervisor's phone is not registered");
  t.equal((await entries()).length, 2);
  telephony.failJoin = null;
  const again = await desk.listen('sam', id);
  t.equal(again.state, 'joining', 'Listen can be tried again');
});

t.test('a call being transferred: Listen waits for the handover; a supervisor who listens leaves at Accept, unseen; one who talks holds it back', async (t) => {
  const { h, desk, telephony, id, leg, entries } = await callInProgress();
  const handoffs = makeHandoffDesk(h, desk);
  h.center.setPresence('bob', 'make_ready');
  const joined = await desk.listen('sam', id);
  await desk.onSupervisionEvent(id, joined.id, 'answered');
  t.equal(handoffActions(h.interactions.get(id)!, 'alice', h.desk.capabilities).transfer, null, 'Transfer shown enabled: nothing tells Alice she is listened to');
  await desk.whisper('sam', id);
  t.equal(handoffActions(h.interactions.get(id)!, 'alice', h.desk.capabilities).transfer?.code, 'call_supervised', 'while the supervisor whispers (Alice hears them), Transfer waits');
  await expectDomainError(t, handoffs.transfer('alice', id, { to: 'agent:bob' }), 'conflict', 'call_supervised');
  await desk.listen('sam', id);
  await handoffs.transfer('alice', id, { to: 'agent:bob' });
  t.equal(joined.state, 'listening', 'the supervisor listens on while the transfer is offered');
  const refusal = await expectDomainError(t, desk.listen('ada', id), 'conflict', 'handoff_in_progress', 'a new Listen while the transfer is offered');
  t.match(refusal?.message, /accepted or cancelled/);
  await expectDomainError(t, desk.whisper('sam', id), 'conflict', 'handoff_in_progress', 'nor does the listening supervisor start talking');
  await expectDomainError(t, desk.barge('sam', id), 'conflict', 'handoff_in_progress');
  t.equal(handoffActions(h.interactions.get(id)!, 'bob', h.desk.capabilities).accept_transfer, null, 'Accept shown enabled to Bob');

  await handoffs.accept('bob', id);
  t.equal(leg.agentId, 'bob', 'Accept moves the call');
  t.same([joined.state, joined.cause], ['ended', 'the call was being handed over to another agent'], "the supervisor left Alice's phone first");
  t.equal(telephony.calls.at(-1), `leave ${joined.id}`, 'their phone hung up');
  const last = (await entries()).at(-1)!;
  t.same([last.author, (last.data as { state: string }).state, shownToAgents(last)], ['system', 'ended', false], 'on the timeline, not shown to the agents');
  const again = await desk.listen('sam', id);
  t.equal(again.state, 'joining', 'after the handover the supervisor may listen to Bob’s call');
});

t.test('a Whisper still reaching Asterisk when the transfer is accepted: the supervisor leaves all the same, and the call moves', async (t) => {
  const { h, desk, telephony, id, leg } = await callInProgress();
  const handoffs = makeHandoffDesk(h, desk);
  h.center.setPresence('bob', 'make_ready');
  const joined = await desk.listen('sam', id);
  await desk.onSupervisionEvent(id, joined.id, 'answered');
  let release!: () => void;
  telephony.modeHeld = new Promise((resolve) => (release = resolve));
  const whispering = desk.whisper('sam', id).then(() => 'whispering', (err: { code?: string }) => err.code);
  await handoffs.transfer('alice', id, { to: 'agent:bob' });
  const accepting = handoffs.accept('bob', id);
  release();
  await t.resolves(accepting, 'Accept goes through');
  t.equal(await whispering, 'whispering', 'the Whisper landed first');
  t.equal(leg.agentId, 'bob', 'the call is Bob’s');
  t.equal(h.interactions.get(id)!.agentId, 'bob', 'and so is the chat');
  t.same([joined.state, joined.cause], ['ended', 'the call was being handed over to another agent'], 'the supervisor is off the call, not left whispering on a phone that is gone');
  t.equal(handoffActions(h.interactions.get(id)!, 'bob', h.desk.capabilities).transfer, null, 'nothing holds Bob’s own transfers back');
});

t.test('the guard table for supervisors, call by call', async (t) => {
  const leg = (state: CallLegState, supervisions: Supervision[] = []): CallLeg => ({
    id: 'leg-1', interactionId: 'i-1', serviceId: 'roadside', agentId: 'alice', customerNumber: '+15551234567', state, mute: 'unmuted', startedAt: 0, answeredAt: null, endedAt: null, cause: null, supervisions,
  });
  const on = (state: Supervision['state']): Supervision => ({ id: 's-1', supervisorId: 'sam', state, startedAt: 0, answeredAt: null, endedAt: null, cause: null });
  const codes = (rec: InteractionRecord, media: MediaCapabilities = { callingConfigured: true, videoConfigured: true }, who = 'sam') =>
    Object.fromEntries(Object.entries(supervisorActions(rec, who, media)).map(([a, v]) => [a, v?.code ?? 'allowed']));
  const chat = (legs: CallLeg[], over: Partial<InteractionRecord> = {}) => interactionRecord({ state: 'active', agentId: 'alice', callLegs: legs, ...over });
  t.same(codes(chat([])), { listen: 'no_call', whisper: 'no_call', barge: 'no_call', stop: 'no_call' }, 'no call yet');
  t.same(codes(chat([leg('ringing')])), { listen: 'call_not_connected', whisper: 'call_not_connected', barge: 'call_not_connected', stop: 'call_not_connected' }, 'a call still ringing');
  t.same(codes(chat([leg('connected')])), { listen: 'allowed', whisper: 'not_supervising', barge: 'not_supervising', stop: 'not_supervising' }, 'a call nobody supervises');
  t.same(codes(chat([leg('on_hold', [on('listening')])])), { listen: 'supervision_listening', whisper: 'allowed', barge: 'allowed', stop: 'allowed' }, 'listening, the customer on hold');
  t.same(codes(chat([leg('connected', [on('barging')])])), { listen: 'allowed', whisper: 'allowed', barge: 'supervision_barging', stop: 'allowed' }, 'barging');
  t.same(codes(chat([leg('connected')]), { callingConfigured: true, videoConfigured: true, telephonyAway: true }).listen, 'telephony_unavailable', 'telephony away');
  t.same(codes(chat([leg('connected')]), undefined, 'alice').listen, 'own_call', "the call's own agent");
  t.same(codes(chat([leg('released', [on('listening')])])).listen, 'no_call', 'the call has ended');
  t.same(codes(chat([leg('connected')], { state: 'ended' })).listen, 'chat_ended', 'the chat has ended');
  t.same(codes(chat([leg('connected')], { offeredTo: 'bob' })).listen, 'handoff_in_progress', 'a transfer offered');
  t.same(codes(chat([leg('connected', [on('whispering')])], { offeredTo: 'bob' })).listen, 'allowed', 'a supervisor already on the call goes back to listening');
});

t.test("Stop pressed while the supervisor's phone is still being rung: once rung, it is hung up", async (t) => {
  const { desk, telephony, id } = await callInProgress();
  let letJoin = () => {};
  telephony.joinHeld = new Promise<void>((resolve) => (letJoin = resolve));
  const joining = desk.listen('sam', id);
  await new Promise((resolve) => setImmediate(resolve));
  const stopped = await desk.stop('sam', id);
  t.equal(stopped.state, 'ended', 'Stop ends the supervision at once');
  letJoin();
  const joined = await joining;
  t.equal(joined.state, 'ended');
  t.same(telephony.calls.slice(-2), [`rung ${joined.id}`, `leave ${joined.id}`], 'the phone rung after Stop is hung up, not left listening');
});

t.test('a mode the telephony could not switch to is refused with its reason; the mode stays as it was', async (t) => {
  const { desk, telephony, id } = await callInProgress();
  const joined = await desk.listen('sam', id);
  await desk.onSupervisionEvent(id, joined.id, 'answered');
  telephony.setMode = async () => Promise.reject(new Error('the snoop did not start within 5 s'));
  const err = await expectDomainError(t, desk.whisper('sam', id), 'unavailable', 'supervision_mode_failed');
  t.match(err?.message, /Could not switch to whisper: the snoop did not start within 5 s/);
  t.equal(joined.state, 'listening', 'still listening');
});

t.test('a supervisor an admin disables, or makes an agent, leaves the calls they are on at once', async (t) => {
  for (const change of [{ disabled: true }, { role: 'agent' as const }]) {
    const { h, desk, telephony, id, leg, entries } = await callInProgress();
    const sam = (await h.directory.getAgent('sam'))!;
    const joined = await desk.listen('sam', id);
    await desk.onSupervisionEvent(id, joined.id, 'answered');
    await desk.barge('sam', id);
    await desk.supervisorChanged(sam);
    t.equal(joined.state, 'barging', 'an edit that leaves them a supervisor changes nothing');
    await desk.supervisorChanged({ ...sam, ...change });
    t.equal(telephony.calls.at(-1), `leave ${joined.id}`, `${JSON.stringify(change)}: the supervisor's phone leaves the call`);
    t.equal(joined.state, 'ended');
    t.equal((await entries()).at(-1)?.author, 'system', 'the timeline says so');
    t.equal(leg.supervisions?.length, 1);
  }
});

t.test("Stop while the supervisor's phone hangs up by itself: the supervisor is off, and Stop says so rather than fail", async (t) => {
  const { desk, telephony, id, entries } = await callInProgress();
  const joined = await desk.listen('sam', id);
  await desk.onSupervisionEvent(id, joined.id, 'answered');
  telephony.duringLeave = () => desk.onSupervisionEvent(id, joined.id, 'hangup');
  const stopped = await desk.stop('sam', id);
  t.equal(stopped.state, 'ended', 'Stop answers with the supervision ended');
  t.same((await entries()).map((e) => (e.data as { state: string }).state), ['joining', 'listening', 'ended'], 'one entry for its end');
});

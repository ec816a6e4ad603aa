import t from 'tap';
import { applyPresence, PRESENCE_STATES, type AgentState, type Presence, type PresenceEvent } from '../../src/domain/agent-presence.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { DomainEvents, type DomainEvent } from '../../src/domain/events.ts';
import {
  INTERACTION_STATES,
  isOpen,
  mergeContext,
  transition,
  type InteractionEvent,
  type InteractionRecord,
  type InteractionState,
} from '../../src/domain/interaction.ts';
import { canApply, nextState } from '../../src/domain/state-table.ts';
import { isConversation, visibleToCustomer, type TimelineEntry, type TimelineKind } from '../../src/domain/timeline.ts';
import { expectDomainError, interactionRecord } from '../helpers/fakes.ts';

const STATES: InteractionState[] = ['queued', 'offered', 'active', 'ended'];
const EVENTS: InteractionEvent[] = ['offer', 'offer_timeout', 'accept', 'end'];

// The whole table, spelled out: anything not listed here must be refused.
const LEGAL: Array<[InteractionState, InteractionEvent, InteractionState]> = [
  ['queued', 'offer', 'offered'],
  ['queued', 'end', 'ended'],
  ['offered', 'accept', 'active'],
  ['offered', 'offer_timeout', 'queued'],
  ['offered', 'end', 'ended'],
  ['active', 'end', 'ended'],
];

const record = (state: InteractionState): InteractionRecord => interactionRecord({ state });

t.test('interaction: every legal transition leads where the table says', async (t) => {
  for (const [from, event, to] of LEGAL) {
    const rec = record(from);
    transition(rec, event);
    t.equal(rec.state, to, `${from} --${event}--> ${to}`);
    t.ok(canApply(INTERACTION_STATES, from, event), `canApply(${from}, ${event})`);
  }
});

t.test('interaction: every other transition is a conflict and leaves the state alone', async (t) => {
  const legal = new Set(LEGAL.map(([from, event]) => `${from}/${event}`));
  let illegal = 0;
  for (const from of STATES) {
    for (const event of EVENTS) {
      if (legal.has(`${from}/${event}`)) continue;
      illegal += 1;
      const rec = record(from);
      t.notOk(canApply(INTERACTION_STATES, from, event), `canApply(${from}, ${event}) is false`);
      const err = await expectDomainError(t, () => transition(rec, event), 'conflict', `interaction_${from}`);
      t.equal(rec.state, from, `state stays ${from} after a refused ${event}`);
      t.ok(err instanceof DomainError);
    }
  }
  t.equal(illegal, 10, 'ten pairs of the 4x4 table are illegal');
});

t.test('interaction: an ended chat accepts nothing, and is no longer open', async (t) => {
  for (const event of EVENTS) t.notOk(canApply(INTERACTION_STATES, 'ended', event), `ended refuses ${event}`);
  t.notOk(isOpen(record('ended')));
  for (const state of ['queued', 'offered', 'active'] as const) t.ok(isOpen(record(state)), `${state} is open`);
});

t.test('interaction: a refused transition explains itself in words', async (t) => {
  const err = await expectDomainError(t, () => transition(record('ended'), 'offer_timeout'), 'conflict', 'interaction_ended');
  t.equal(err?.message, 'Cannot offer timeout: the interaction is ended.');
  t.equal(err?.name, 'DomainError');
});

function agent(presence: Presence, idleSince = 0): AgentState {
  return { agentId: 'alice', serviceIds: ['roadside'], presence, idleSince, interactions: new Set(), pendingOffer: null };
}

t.test('presence: every event is allowed from every state', async (t) => {
  const cases: Array<[Presence, PresenceEvent, Presence]> = [
    ['not_ready', 'make_ready', 'ready'],
    ['not_ready', 'make_not_ready', 'not_ready'],
    ['ready', 'make_ready', 'ready'],
    ['ready', 'make_not_ready', 'not_ready'],
  ];
  for (const [from, event, to] of cases) {
    t.equal(nextState(PRESENCE_STATES, 'agent', from, event), to, `${from} --${event}--> ${to}`);
    const a = agent(from);
    applyPresence(a, event, 100);
    t.equal(a.presence, to);
  }
});

t.test('presence: becoming Ready starts the idle clock; clicking Ready again keeps the place in line', async (t) => {
  const a = agent('not_ready', 5);
  applyPresence(a, 'make_ready', 100);
  t.equal(a.idleSince, 100, 'idle since the moment the agent became Ready');
  applyPresence(a, 'make_ready', 200);
  t.equal(a.idleSince, 100, 'a second Ready click does not move the agent to the back');
  applyPresence(a, 'make_not_ready', 300);
  t.equal(a.presence, 'not_ready');
  applyPresence(a, 'make_ready', 400);
  t.equal(a.idleSince, 400, 'Ready after Not Ready restarts the idle clock');
});

t.test('nextState with a table of its own names the thing and the state in the error', async (t) => {
  type S = 'up' | 'down';
  type E = 'raise' | 'hang_up';
  const table = { up: { hang_up: 'down' }, down: {} } as const satisfies Record<S, Partial<Record<E, S>>>;
  t.equal(nextState<S, E>(table, 'call_leg', 'up', 'hang_up'), 'down');
  const err = await expectDomainError(t, () => nextState<S, E>(table, 'call_leg', 'down', 'hang_up'), 'conflict', 'call_leg_down');
  t.equal(err?.message, 'Cannot hang up: the call leg is down.');
});

t.test('context: fields merge key by key, a new location replaces the old, no location keeps it', async (t) => {
  const start = mergeContext({ fields: {} }, { fields: { plate: 'AB-123', model: 'Golf' }, location: { lat: 1, lon: 2 } });
  t.same(start, { fields: { plate: 'AB-123', model: 'Golf' }, location: { lat: 1, lon: 2 } });
  const next = mergeContext(start, { fields: { model: 'Polo', colour: 'red' } });
  t.same(next.fields, { plate: 'AB-123', model: 'Polo', colour: 'red' });
  t.same(next.location, { lat: 1, lon: 2 }, 'an update without location keeps the last one');
  const moved = mergeContext(next, { location: { lat: 3, lon: 4, accuracyM: 10 } });
  t.same(moved.location, { lat: 3, lon: 4, accuracyM: 10 });
  t.same(start.fields, { plate: 'AB-123', model: 'Golf' }, 'merging does not modify the previous context');
});

t.test('timeline: the customer sees the conversation and the milestones, not the routing', async (t) => {
  const entry = (kind: TimelineKind): TimelineEntry => ({
    id: 'e',
    interactionId: 'i',
    seq: 1,
    kind,
    author: 'system',
    agentId: null,
    text: null,
    clientId: null,
    attachment: null,
    data: null,
    createdAt: 0,
  });
  const visible = (['message', 'attachment', 'context', 'offered', 'accepted', 'offer_expired', 'ended'] as const).filter((k) =>
    visibleToCustomer(entry(k)),
  );
  t.same(visible, ['message', 'attachment', 'accepted', 'ended']);
  t.ok(isConversation(entry('message')));
  t.ok(isConversation(entry('attachment')));
  t.notOk(isConversation(entry('accepted')));
});

t.test('events: a listener that throws does not stop the others; its error is reported', async (t) => {
  const reported: unknown[] = [];
  const bus = new DomainEvents((err) => reported.push(err));
  const heard: string[] = [];
  bus.subscribe(() => {
    throw new Error('broken socket');
  });
  const unsubscribe = bus.subscribe((e: DomainEvent) => heard.push(e.type));
  bus.emit({ type: 'store_failed', error: 'x' });
  t.same(heard, ['store_failed']);
  t.equal(reported.length, 1);
  unsubscribe();
  bus.emit({ type: 'store_failed', error: 'y' });
  t.same(heard, ['store_failed'], 'an unsubscribed listener hears nothing more');
});

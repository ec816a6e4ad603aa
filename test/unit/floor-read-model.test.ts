// The floor's read model (src/domain/floor.ts) over time: it forgets yesterday even on a node nobody
// watches, and a follower that missed wake-ups reads the day again instead of undercounting for good.
import t from 'tap';
import { DomainEvents } from '../../src/domain/events.ts';
import { Floor } from '../../src/domain/floor.ts';
import { Interactions } from '../../src/domain/interactions.ts';
import { InteractionReplica } from '../../src/domain/replica.ts';
import { ManualClock, MemoryInteractionStore } from '../helpers/fake-ports.ts';
import { interactionRecord } from '../helpers/fakes.ts';

const S = 1000;
const HOUR = 3600 * S;
const ZONE = 'America/New_York';
const NOON = Date.parse('2026-05-12T16:00:00Z'); // 12:00 EDT
const services = [{ id: 'roadside' }];
const noRatings = { ratingsSince: async () => [] };

function floorOn(store: MemoryInteractionStore, clock: ManualClock) {
  const events = new DomainEvents((err) => {
    throw err;
  });
  const interactions = new Interactions({ store, events, clock });
  const floor = new Floor({ store, ratings: noRatings, events, clock, timeZone: ZONE, registry: interactions });
  return { floor, events, interactions };
}

const ended = (id: string, at: number) => interactionRecord({ id, serviceId: 'roadside', state: 'ended', createdAt: at - 60 * S, acceptedAt: at - 50 * S, endedAt: at });

t.test('a node where nobody opens the floor again keeps only the window, however many days go by', async (t) => {
  const clock = new ManualClock(NOON);
  const { floor, events } = floorOn(new MemoryInteractionStore(), clock);
  await floor.figures(services, []); // one visit, then nobody watches
  for (let i = 0; i < 3 * 24 * 6; i++) {
    clock.advance(10 * 60 * S); // a chat ends every ten minutes, for three days
    events.emit({ type: 'interaction_changed', interaction: ended(`c${i}`, clock.now()), previousOfferedTo: null });
  }
  // At noon the window reaches back to midnight (12 hours, 6 chats an hour), plus this hour's turn.
  t.ok(floor.held.interactions <= 13 * 6, `held ${floor.held.interactions} interactions, not the ${3 * 24 * 6} of three days`);
  const [roadside] = await floor.figures(services, []);
  t.equal(roadside!.chatsHandled, 12 * 6 + 1, "today's chats, from 00:00 to 12:00, are all still counted");
});

t.test("after a follower's resync, chats that opened and ended while it was cut off count on its wallboard", async (t) => {
  const clock = new ManualClock(NOON);
  const store = new MemoryInteractionStore();
  const { floor, events, interactions } = floorOn(store, clock);
  await store.saveInteraction(ended('before', NOON - HOUR));
  t.equal((await floor.figures(services, []))[0]!.chatsHandled, 1);

  // The leader commits two chats from start to end; this node hears none of it (its change feed was down).
  await store.saveInteraction(ended('missed-1', NOON - 30 * S));
  await store.saveInteraction(ended('missed-2', NOON - 20 * S));
  const replica = new InteractionReplica({ interactions, store, events, onError: (err) => t.fail(String(err)) });
  await replica.resync();
  t.equal((await floor.figures(services, []))[0]!.chatsHandled, 3, 'the day is read again from the store');
});

t.test('a resync while the floor is being read: that view waits for the day read again, never shows an empty floor', async (t) => {
  const clock = new ManualClock(NOON);
  const store = new MemoryInteractionStore();
  const { floor, events } = floorOn(store, clock);
  await store.saveInteraction(ended('before', NOON - HOUR));
  // The first read of the day is slow; the resync lands while it is on its way.
  const read = store.listMilestonesSince.bind(store);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  store.listMilestonesSince = async (since: number) => {
    await held;
    return read(since);
  };
  const view = floor.figures(services, []);
  await Promise.resolve();
  events.emit({ type: 'replica_resynced' });
  store.listMilestonesSince = read;
  release();
  t.equal((await view)[0]!.chatsHandled, 1, 'the chat ended an hour ago is counted');
});

t.test('a failed first read of the day leaves nothing behind: a chat taken meanwhile is not shown waiting for good', async (t) => {
  const clock = new ManualClock(NOON);
  const store = new MemoryInteractionStore();
  const { floor, events } = floorOn(store, clock);
  const read = store.listMilestonesSince.bind(store);
  let fail!: () => void;
  const failed = new Promise<void>((resolve) => (fail = resolve));
  store.listMilestonesSince = async () => {
    await failed;
    throw new Error('the store is briefly unavailable');
  };
  const view = floor.figures(services, []);
  await Promise.resolve();
  // A chat comes in while the day is being read; the read then fails.
  const waiting = interactionRecord({ id: 'x', serviceId: 'roadside', state: 'queued', createdAt: NOON - 10 * S });
  events.emit({ type: 'interaction_changed', interaction: waiting, previousOfferedTo: null });
  fail();
  await t.rejects(view, /briefly unavailable/);
  store.listMilestonesSince = read;

  // It is taken and ended while nobody looks (no read model: the store has it all).
  await store.saveInteraction(ended('x', NOON - 5 * S));
  events.emit({ type: 'interaction_changed', interaction: ended('x', NOON - 5 * S), previousOfferedTo: null });
  const [roadside] = await floor.figures(services, []);
  t.equal(roadside!.waiting, 0, 'not shown waiting');
  t.equal(roadside!.chatsHandled, 1, 'counted as handled');
});

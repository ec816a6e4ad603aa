// The wallboard's figures, from interactions' milestones: what a supervisor reads on /supervisor.
import t from 'tap';
import { DomainEvents } from '../../src/domain/events.ts';
import { floorWindow, serviceFigures, type FloorPresence, type Milestones } from '../../src/domain/floor-stats.ts';
import { Floor, floorRows } from '../../src/domain/floor.ts';
import { processTimeZone } from '../../src/domain/time-zone.ts';
import { ManualClock } from '../helpers/fake-ports.ts';
import { interactionRecord } from '../helpers/fakes.ts';

const S = 1000;
const HOUR = 3600 * S;
// Noon, local time, on some day: "today" started twelve hours before.
const NOON = new Date(2026, 4, 12, 12, 0, 0, 0).getTime();
const MIDNIGHT = new Date(2026, 4, 12, 0, 0, 0, 0).getTime();
// The dates above are the process's local time: so is the floor's zone here (time-zone.test.ts names zones).
const ZONE = processTimeZone();

const chat = (id: string, over: Partial<Milestones> = {}): Milestones => ({ id, serviceId: 'roadside', createdAt: NOON - HOUR, acceptedAt: null, requeuedAt: null, endedAt: null, callsAnsweredAt: [], ...over });
const services = [{ id: 'roadside', serviceLevelSeconds: 20 }, { id: 'claims', serviceLevelSeconds: 60 }];
const figures = (interactions: Milestones[], agents: Array<{ serviceIds: string[]; presence: FloorPresence }> = [], now = NOON) =>
  serviceFigures({ now, window: floorWindow(now, ZONE), services, interactions, agents });

t.test('the window: today from local midnight, the chart over the last eight hours including this one', async (t) => {
  const w = floorWindow(NOON + 30 * 60 * S, ZONE);
  t.equal(w.dayStart, MIDNIGHT);
  t.equal(w.chartStart, NOON - 7 * HOUR);
  t.equal(w.since, MIDNIGHT, 'what is read covers both');
  const early = floorWindow(MIDNIGHT + 2 * HOUR, ZONE);
  t.ok(early.since < early.dayStart, 'at two in the morning the chart reaches into yesterday, and so does what is read');
});

t.test('waiting chats and the longest wait, per service', async (t) => {
  const [roadside, claims] = figures([
    chat('a', { createdAt: NOON - 90 * S }),
    chat('b', { createdAt: NOON - 30 * S }),
    chat('c', { createdAt: NOON - 500 * S, acceptedAt: NOON - 490 * S }),
    chat('d', { serviceId: 'claims', createdAt: NOON - 10 * S }),
  ]);
  t.match(roadside, { waiting: 2, longestWaitMs: 90 * S });
  t.match(claims, { waiting: 1, longestWaitMs: 10 * S });
  t.equal(figures([])[0]!.longestWaitMs, null, 'nobody waiting: no wait');
});

t.test('service level: accepted within the target over the chats decided today', async (t) => {
  const [roadside] = figures([
    chat('fast', { createdAt: NOON - HOUR, acceptedAt: NOON - HOUR + 15 * S }),
    chat('slow', { createdAt: NOON - HOUR, acceptedAt: NOON - HOUR + 25 * S }),
    chat('abandoned', { createdAt: NOON - HOUR, endedAt: NOON - HOUR + 5 * S }),
    chat('waiting past the target', { createdAt: NOON - 21 * S }),
    chat('waiting, not yet decided', { createdAt: NOON - 5 * S }),
    chat('yesterday', { createdAt: MIDNIGHT - HOUR, acceptedAt: MIDNIGHT - HOUR + S }),
  ]);
  t.equal(roadside!.decided, 4);
  t.equal(roadside!.serviceLevel, 1 / 4);
  const [, claims] = figures([chat('x', { serviceId: 'claims', createdAt: NOON - HOUR, acceptedAt: NOON - HOUR + 25 * S })]);
  t.equal(claims!.serviceLevel, 1, "each service's own target (60 s here)");
  t.equal(figures([])[0]!.serviceLevel, null, 'nothing decided yet: no figure, not 0 % or 100 %');
});

t.test('handled today and average handle time: accepted chats ended today, calls answered today', async (t) => {
  const [roadside] = figures([
    chat('a', { acceptedAt: NOON - HOUR, endedAt: NOON - HOUR + 100 * S, callsAnsweredAt: [NOON - HOUR + 10 * S, null] }),
    chat('b', { acceptedAt: NOON - HOUR, endedAt: NOON - HOUR + 300 * S, callsAnsweredAt: [NOON - HOUR + 20 * S] }),
    chat('abandoned', { endedAt: NOON - HOUR }),
    chat('in progress', { acceptedAt: NOON - 60 * S, callsAnsweredAt: [NOON - 30 * S] }),
    chat('ended yesterday', { createdAt: MIDNIGHT - 2 * HOUR, acceptedAt: MIDNIGHT - 2 * HOUR, endedAt: MIDNIGHT - HOUR, callsAnsweredAt: [MIDNIGHT - HOUR - S] }),
  ]);
  t.equal(roadside!.chatsHandled, 2);
  t.equal(roadside!.averageHandleMs, 200 * S);
  t.equal(roadside!.callsHandled, 3, 'answered calls only, today only (one in progress counts)');
  t.equal(figures([])[0]!.averageHandleMs, null);
});

t.test('agents by presence, counted in each service they serve; those with no session as logged out', async (t) => {
  const [roadside, claims] = figures([], [
    { serviceIds: ['roadside', 'claims'], presence: 'ready' },
    { serviceIds: ['roadside'], presence: 'not_ready' },
    { serviceIds: [], presence: 'ready' },
    { serviceIds: ['claims'], presence: 'wrap_up' },
    { serviceIds: ['roadside'], presence: 'logged_out' },
  ]);
  t.same(roadside!.agents, { ready: 1, not_ready: 1, wrap_up: 0, logged_out: 1 });
  t.same(claims!.agents, { ready: 1, not_ready: 0, wrap_up: 1, logged_out: 0 });
});

t.test('the chart: chats arrived and handled in each of the last eight hours', async (t) => {
  const now = NOON + 10 * 60 * S;
  const [roadside] = figures([
    chat('a', { createdAt: NOON + 60 * S }),
    chat('b', { createdAt: NOON - 30 * 60 * S, acceptedAt: NOON - 29 * 60 * S, endedAt: NOON + 2 * 60 * S }),
    chat('c', { createdAt: NOON - 7 * HOUR }),
    chat('too old', { createdAt: NOON - 8 * HOUR }),
  ], [], now);
  const hours = roadside!.hours;
  t.equal(hours.length, 8);
  t.same(hours.map((h) => h.arrived), [1, 0, 0, 0, 0, 0, 1, 1]);
  t.same(hours.map((h) => h.handled), [0, 0, 0, 0, 0, 0, 0, 1]);
  t.equal(hours.at(-1)!.start, NOON, 'the last bar is this hour');
});

t.test('the read model: read from the store once, then kept by events; open chats as they are now', async (t) => {
  const clock = new ManualClock(NOON);
  const events = new DomainEvents((err) => t.fail(String(err)));
  let reads = 0;
  const store = { listMilestonesSince: async () => (reads++, [chat('stored', { acceptedAt: NOON - HOUR + 5 * S, endedAt: NOON - HOUR + 65 * S })]) };
  let open = [interactionRecord({ id: 'live', serviceId: 'roadside', createdAt: NOON - 40 * S, state: 'queued' })];
  let ratingReads = 0;
  const rated = (interactionId: string, score: number, ratedAt: number) => ({ interactionId, serviceId: 'roadside', score, comment: null, ratedAt });
  const ratings = { ratingsSince: async () => (ratingReads++, [rated('stored', 4, NOON - HOUR + 70 * S), rated('yesterday', 1, MIDNIGHT - HOUR)]) };
  const stats = new Floor({ store, ratings, events, clock, timeZone: ZONE, registry: { all: () => open, find: async () => undefined } });
  const first = await stats.figures(services, []);
  t.match(first[0], { chatsHandled: 1, waiting: 1, longestWaitMs: 40 * S });
  const ended = interactionRecord({ id: 'live', serviceId: 'roadside', createdAt: NOON - 40 * S, acceptedAt: NOON - 30 * S, endedAt: NOON, state: 'ended' });
  events.emit({ type: 'interaction_changed', interaction: ended, previousOfferedTo: null });
  open = [];
  const second = await stats.figures(services, []);
  t.match(second[0], { chatsHandled: 2, waiting: 0, averageHandleMs: 45 * S });
  t.equal(reads, 1, 'the store was read once');

  t.same([...(await stats.ratingAverages())], [['roadside', { average: 4, count: 1 }]], "today's ratings only");
  const rating = { id: 'r', interactionId: 'live', seq: 9, kind: 'rating' as const, author: 'customer' as const, agentId: null, text: null, clientId: null, attachment: null, data: { score: 5 }, createdAt: NOON + S };
  events.emit({ type: 'entry_appended', interaction: ended, entry: rating });
  t.same([...(await stats.ratingAverages())], [['roadside', { average: 4.5, count: 2 }]], 'a rating given since counts at once');
  t.equal(ratingReads, 1, 'the ratings were read once');
});

t.test('the live list: waiting first, oldest first; media up and since when', async (t) => {
  const active = interactionRecord({ id: 'active', state: 'active', agentId: 'agent1', createdAt: NOON - 300 * S, acceptedAt: NOON - 290 * S });
  active.callLegs.push({ id: 'leg', interactionId: 'active', serviceId: 'roadside', agentId: 'agent1', customerNumber: '+15551230000', state: 'connected', mute: 'unmuted', startedAt: NOON - 100 * S, answeredAt: NOON - 90 * S, endedAt: null, cause: null });
  const waiting = interactionRecord({ id: 'waiting', state: 'queued', createdAt: NOON - 10 * S });
  const rows = floorRows([active, waiting]);
  t.same(rows.map((r) => r.id), ['waiting', 'active']);
  t.match(rows[1], { agentId: 'agent1', chatSince: NOON - 290 * S, call: { state: 'connected', since: NOON - 90 * S }, video: null });
  t.match(rows[0], { agentId: null, call: null, chatSince: NOON - 10 * S });
});

t.test('a queue of 200,000 waiting chats still gets its longest wait (no stack overflow)', async (t) => {
  const waiting = Array.from({ length: 200_000 }, (_, i) => chat(`w${i}`, { createdAt: NOON - (i % 1000) * S }));
  const [roadside] = figures(waiting);
  t.match(roadside, { waiting: 200_000, longestWaitMs: 999 * S });
});

// A chat whose agent is disabled goes back to the queue (contact-center.ts): on the floor its first
// acceptance still counts (service level, handled), while its live wait starts at the requeue.
import t from 'tap';
import { Floor } from '../../src/domain/floor.ts';
import { ManualClock } from '../helpers/fake-ports.ts';
import { activeChat, AGENTS, disableAgent, makeCenter, type Harness } from '../helpers/fakes.ts';

const S = 1000;
const services = [{ id: 'roadside', serviceLevelSeconds: 20 }];
// 09:00 UTC: the two hours below stay within one day.
const morning = () => makeCenter({ clock: new ManualClock(Date.parse('2026-05-12T09:00:00Z')) });

function floorOf(h: Harness) {
  return new Floor({ store: h.store, ratings: { ratingsSince: async () => [] }, events: h.bus, clock: h.clock, timeZone: 'UTC', registry: h.interactions });
}

// Accepted within the target, worked for two hours, then its agent is disabled with nobody else Ready.
async function requeuedAfterTwoHours() {
  const h = await morning();
  const floor = floorOf(h);
  await floor.figures(services, []);
  const { interaction } = await activeChat(h, 'alice');
  h.clock.advance(2 * 3600 * S);
  await disableAgent(h, AGENTS[0]!.id);
  const requeuedAt = h.clock.now();
  h.clock.advance(30 * S);
  return { h, floor, interaction, requeuedAt };
}

t.test('a requeued chat waits from its requeue, and its first answer in time still counts', async (t) => {
  const { floor, interaction, requeuedAt } = await requeuedAfterTwoHours();
  t.equal(interaction.state, 'queued');
  const [roadside] = await floor.figures(services, []);
  t.match(roadside, { waiting: 1, longestWaitMs: 30 * S, serviceLevel: 1, decided: 1 }, 'thirty seconds waiting, not two hours; not a service-level miss');
  t.match(floor.live()[0], { id: interaction.id, state: 'queued', chatSince: requeuedAt }, 'the live list counts its wait from the requeue');
});

t.test('a customer who leaves while requeued was handled, not abandoned', async (t) => {
  const { h, floor, interaction } = await requeuedAfterTwoHours();
  await h.center.endByCustomer(interaction.id);
  const [roadside] = await floor.figures(services, []);
  t.match(roadside, { waiting: 0, chatsHandled: 1, serviceLevel: 1, decided: 1 });
});

t.test('accepted again by another agent: no longer waiting, and the first acceptance is kept', async (t) => {
  const { h, floor, interaction } = await requeuedAfterTwoHours();
  const firstAccepted = interaction.acceptedAt;
  h.center.setPresence('bob', 'make_ready');
  await h.center.accept('bob', interaction.id);
  t.match(interaction, { state: 'active', agentId: 'bob', acceptedAt: firstAccepted, requeuedAt: null });
  t.match((await floor.figures(services, []))[0], { waiting: 0, serviceLevel: 1 });
  t.match(floor.live()[0], { state: 'active', agentId: 'bob', chatSince: h.clock.now() }, "the live list counts Bob's conversation from his acceptance, not Alice's");
});

t.test('a chat requeued while only offered keeps waiting from its arrival', async (t) => {
  const h = await morning();
  h.center.setPresence('alice', 'make_ready');
  const { interaction } = await h.center.startChat({ serviceId: 'roadside', channel: 'web', customer: { name: 'Dana', phone: '+15551239876' } });
  t.equal(interaction.offeredTo, 'alice');
  h.clock.advance(10 * S);
  await disableAgent(h, AGENTS[0]!.id);
  t.match(floorOf(h).live()[0], { state: 'queued', chatSince: interaction.createdAt });
});

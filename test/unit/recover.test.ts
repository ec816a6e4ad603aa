import t from 'tap';
import { activeChat, makeCenter, startChat, type Harness } from '../helpers/fakes.ts';
import { MemoryInteractionStore } from '../helpers/fake-ports.ts';

// Builds what a restart finds in the store: a chat ringing at alice, a chat bob is handling, a chat
// queued for billing, and an ended chat. Returns the ids; the first center is shut down, as on exit.
async function beforeRestart(store: MemoryInteractionStore) {
  const h = await makeCenter({ store });
  const handled = await activeChat(h, 'bob');
  await h.center.postCustomerMessage(handled.interaction.id, 'still here');
  h.center.setPresence('bob', 'make_not_ready');
  const ended = await activeChat(h, 'alice');
  await h.center.disconnect('alice', ended.interaction.id);
  const ringing = await startChat(h); // alice is Ready and free: offered to her
  const queued = await startChat(h, { serviceId: 'billing' });
  await h.store.settled();
  h.center.shutdown();
  return {
    h,
    ringing: ringing.interaction.id,
    handled: handled.interaction.id,
    queued: queued.interaction.id,
    ended: ended.interaction.id,
  };
}

async function restart(store: MemoryInteractionStore, config = {}): Promise<Harness> {
  return makeCenter({ store, config });
}

t.test('before the restart the scene is as described', async (t) => {
  const store = new MemoryInteractionStore();
  const ids = await beforeRestart(store);
  t.equal(store.interactions.get(ids.ringing)?.state, 'offered');
  t.equal(store.interactions.get(ids.ringing)?.offeredTo, 'alice');
  t.equal(store.interactions.get(ids.handled)?.state, 'active');
  t.equal(store.interactions.get(ids.queued)?.state, 'queued');
  t.equal(store.interactions.get(ids.ended)?.state, 'ended');
});

t.test('recover(): an offered chat goes back to the queue', async (t) => {
  const store = new MemoryInteractionStore();
  const ids = await beforeRestart(store);
  const h = await restart(store);
  const open = new Map(h.center.openInteractions().map((r) => [r.id, r]));
  const ringing = open.get(ids.ringing);
  t.equal(ringing?.state, 'queued');
  t.equal(ringing?.offeredTo, null);
  t.equal(ringing?.offeredAt, null);
  await h.store.settled();
  t.equal(store.interactions.get(ids.ringing)?.state, 'queued', 'and the store says so too');
  t.equal(store.interactions.get(ids.ringing)?.offeredTo, null);
  t.equal(h.center.agentState('alice').pendingOffer, null, 'no offer is left hanging on alice');
  t.same(h.center.openInteractionsOf('alice'), []);
  t.equal(h.clock.pendingTimers, 0, 'no timer for an offer that no longer exists');
});

t.test('recover(): an active chat keeps its agent, who can go on', async (t) => {
  const store = new MemoryInteractionStore();
  const ids = await beforeRestart(store);
  const h = await restart(store);
  const handled = h.center.openInteractions().find((r) => r.id === ids.handled);
  t.equal(handled?.state, 'active');
  t.equal(handled?.agentId, 'bob');
  t.ok(h.center.agentState('bob').interactions.has(ids.handled), 'it counts in bob’s load');
  t.same(
    h.center.openInteractionsOf('bob').map((r) => r.id),
    [ids.handled],
    'it is on bob’s desktop',
  );
  const entry = await h.center.postAgentMessage('bob', ids.handled, 'Back after a short outage');
  t.equal(entry.seq, 4, 'the timeline goes on after offered, accepted and the message: no gap, no reuse');
  await h.store.settled();
  t.same(
    h.store.entriesOf(ids.handled).map((e) => e.seq),
    [1, 2, 3, 4],
  );
  t.equal((await h.center.postCustomerMessage(ids.handled, 'great')).seq, 5);
  const ended = await h.center.disconnect('bob', ids.handled);
  t.equal(ended.endedBy, 'agent');
});

t.test('recover(): ended chats are not reopened; queued ones stay queued', async (t) => {
  const store = new MemoryInteractionStore();
  const ids = await beforeRestart(store);
  const h = await restart(store);
  const openIds = h.center.openInteractions().map((r) => r.id);
  t.notOk(openIds.includes(ids.ended), 'the ended chat is not open');
  t.ok(openIds.includes(ids.queued));
  t.equal(h.center.openInteractions().find((r) => r.id === ids.queued)?.state, 'queued');
});

t.test('recover(): agents come back Not Ready; the requeued chat reaches the first who is Ready', async (t) => {
  const store = new MemoryInteractionStore();
  const ids = await beforeRestart(store);
  const h = await restart(store, { maxChatsPerAgent: 1 });
  for (const id of ['alice', 'bob', 'carol']) t.equal(h.center.agentState(id).presence, 'not_ready', `${id} is Not Ready`);
  h.center.setPresence('bob', 'make_ready');
  const ringing = h.center.openInteractions().find((r) => r.id === ids.ringing);
  t.equal(ringing?.state, 'queued', 'bob is full with his recovered chat (max 1)');
  h.center.setPresence('alice', 'make_ready');
  t.equal(ringing?.state, 'offered');
  t.equal(ringing?.offeredTo, 'alice');
  h.clock.advance(h.config.offerTimeoutMs);
  t.equal(ringing?.state, 'queued', 'the new offer times out as usual');
  t.equal(h.center.agentState('alice').presence, 'not_ready');
  h.center.setPresence('carol', 'make_ready');
  t.equal(h.center.openInteractions().find((r) => r.id === ids.queued)?.offeredTo, 'carol', 'billing chat reaches carol');
});

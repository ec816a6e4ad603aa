// A follower's replica (src/domain/replica.ts) over the same store as the leader: what it emits is
// what the follower's pages, sockets and metrics count.
import t from 'tap';
import { DomainEvents, type DomainEvent } from '../../src/domain/events.ts';
import { Interactions } from '../../src/domain/interactions.ts';
import { InteractionReplica } from '../../src/domain/replica.ts';
import { ManualClock, MemoryInteractionStore } from '../helpers/fake-ports.ts';
import { entry, record } from '../helpers/store-contract.ts';

function follower(store: MemoryInteractionStore) {
  const events: DomainEvent[] = [];
  const errors: unknown[] = [];
  const bus = new DomainEvents((err) => errors.push(err));
  bus.subscribe((e) => events.push(e));
  const interactions = new Interactions({ store, events: bus, clock: new ManualClock() });
  const replica = new InteractionReplica({ interactions, store, events: bus, onError: (err) => errors.push(err) });
  const applied = () => events.flatMap((e) => (e.type === 'entry_appended' ? [e.entry.seq] : []));
  return { replica, interactions, applied, errors };
}

t.test('entries written after a chat ended (wrap-up, rating) are applied once on a follower, not the whole chat again', async (t) => {
  const leader = new MemoryInteractionStore();
  const rec = record('c1', { state: 'active', agentId: 'alice' });
  await leader.saveInteraction(rec);
  for (let seq = 1; seq <= 3; seq++) await leader.appendEntry(entry('c1', seq));
  const node = follower(leader);
  await node.replica.follow('c1');

  const ended = { ...rec, state: 'ended' as const, endedAt: rec.createdAt + 10, endedBy: 'agent' as const, lastSeq: 4 };
  await leader.appendEntry(entry('c1', 4, { kind: 'ended', author: 'agent', text: null }), ended);
  await node.replica.follow('c1');
  t.equal(node.interactions.get('c1'), undefined, 'the ended chat leaves the registry');

  await leader.appendEntry(entry('c1', 5, { kind: 'rating', author: 'customer', text: null, data: { score: 5 } }), { ...ended, lastSeq: 5 });
  await node.replica.follow('c1');
  await leader.appendEntry(entry('c1', 6, { kind: 'rating', author: 'customer', text: null, data: { score: 4 } }), { ...ended, lastSeq: 6 });
  await node.replica.follow('c1');
  t.same(node.applied(), [1, 2, 3, 4, 5, 6], 'every entry emitted exactly once, in order');
  t.same(node.errors, []);
});

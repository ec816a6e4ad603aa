// A follower's replica (src/domain/replica.ts) over the same store as the leader: what it emits is
// what the follower's pages, sockets and metrics count.
import t from 'tap';
import { DomainEvents, type DomainEvent } from '../../src/domain/events.ts';
import { Interactions } from '../../src/domain/interactions.ts';
import { InteractionReplica } from '../../src/domain/replica.ts';
import { ManualClock, MemoryInteractionStore } from '../helpers/fake-ports.ts';
import { entry, record } from '../helpers/store-contract.ts';

function follower(store: MemoryInteractionStore, following = () => true) {
  const events: DomainEvent[] = [];
  const errors: unknown[] = [];
  const bus = new DomainEvents((err) => errors.push(err));
  bus.subscribe((e) => events.push(e));
  const interactions = new Interactions({ store, events: bus, clock: new ManualClock() });
  const replica = new InteractionReplica({ interactions, store, events: bus, gapWaitMs: 5, following, onError: (err) => errors.push(err) });
  const changes = () => events.filter((e) => e.type === 'interaction_changed').length;
  const applied = () => events.flatMap((e) => (e.type === 'entry_appended' ? [e.entry.seq] : []));
  return { replica, interactions, applied, changes, errors };
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

t.test("a hole's retry that comes after the node became the leader changes nothing: the rules' record stands, nothing is emitted again", async (t) => {
  const leader = new MemoryInteractionStore();
  const rec = record('c1', { state: 'active', agentId: 'alice' });
  await leader.saveInteraction(rec);
  await leader.appendEntry(entry('c1', 1));
  await leader.appendEntry(entry('c1', 3)); // seq 2 not committed yet: a hole, retried after gapWaitMs
  let leading = false;
  const node = follower(leader, () => !leading);
  await node.replica.follow('c1');
  t.same(node.applied(), [1], 'up to the hole');
  const changesBefore = node.changes();
  leading = true; // the node takes the lead before the retry
  const ended = { ...rec, state: 'ended' as const, endedAt: rec.createdAt + 10, endedBy: 'agent' as const, lastSeq: 4 };
  await leader.appendEntry(entry('c1', 4, { kind: 'ended', author: 'agent', text: null }), ended);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.same(node.applied(), [1], 'nothing applied by the late retry');
  t.equal(node.changes(), changesBefore, 'no interaction_changed emitted again');
  t.equal(node.interactions.get('c1')?.state, 'active', "the registry is the rules' own");
  t.same(node.errors, []);
});

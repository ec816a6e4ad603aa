import t from 'tap';
import { activeChat, makeCenter, startChat } from '../helpers/fakes.ts';

// What the customer and the agent notice when a durable write fails.

t.test('a failed write is reported to the caller, and the message is not acknowledged', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h);
  h.store.failNextAppends(new Error('disk full'));
  await t.rejects(h.center.postCustomerMessage(interaction.id, 'lost?', 'c-1'), { message: 'disk full' });
  await h.store.settled();
  t.same(h.store.entriesOf(interaction.id), [], 'nothing half-written');
  const retry = await h.center.postCustomerMessage(interaction.id, 'lost?', 'c-1');
  t.equal(retry.text, 'lost?', 'the retry with the same client_id is written now');
  await h.store.settled();
  t.equal(h.store.entriesOf(interaction.id).length, 1);
});

t.test('a failed write started by a timer is reported as store_failed, not swallowed', async (t) => {
  const h = await makeCenter();
  h.center.setPresence('alice', 'make_ready');
  h.store.failNextAppends(new Error('disk full')); // the "offered" entry written by dispatch
  const { interaction } = await startChat(h);
  t.equal(interaction.state, 'offered', 'the offer still rings');
  await h.store.settled();
  const failures = h.events.filter((e) => e.type === 'store_failed');
  t.equal(failures.length, 1);
  t.match(failures[0], { error: { message: 'disk full' } });
});

// A failed write must not use up its seq: timeline.ts says `seq` is per interaction and gap-free, and a
// client that checks its continuity would believe it missed an entry.
t.test('after a failed write the timeline still has gap-free seq', async (t) => {
  const h = await makeCenter();
  const { interaction } = await activeChat(h, 'alice');
  h.store.failNextAppends(new Error('disk full'));
  await t.rejects(h.center.postCustomerMessage(interaction.id, 'this one fails'));
  await h.center.postCustomerMessage(interaction.id, 'this one is written');
  await h.store.settled();
  const seqs = h.store.entriesOf(interaction.id).map((e) => e.seq);
  t.same(seqs, [1, 2, 3], 'offered, accepted, then the written message: no gap');
});

// The in-memory record must not run ahead of a failed write: else a second Disconnect answers 409
// chat_ended while the store still holds the chat active, and after a restart recover() brings it back.
t.test('a disconnect whose write failed can be retried and ends the chat in the store', async (t) => {
  const h = await makeCenter();
  const { interaction } = await activeChat(h, 'alice');
  h.store.failNextAppends(new Error('disk full'));
  await t.rejects(h.center.disconnect('alice', interaction.id), { message: 'disk full' });
  const retried = await h.center.disconnect('alice', interaction.id);
  t.equal(retried.state, 'ended');
  await h.store.settled();
  t.equal(h.store.interactions.get(interaction.id)?.state, 'ended', 'the store knows the chat ended');
});

// Accept changes the chat and the agent before its write: one that fails must leave the chat offered
// (else it is neither the agent's in the store nor anyone's offer, and waits for a restart).
t.test('an Accept whose write failed leaves the chat offered to the agent, who may accept again; unanswered, it lapses', async (t) => {
  const h = await makeCenter();
  await h.center.setPresence('alice', 'make_ready');
  const { interaction } = await startChat(h);
  await h.store.settled();
  h.store.failNextAppends(new Error('disk full'));
  await t.rejects(h.center.accept('alice', interaction.id), { message: 'disk full' });
  t.match(interaction, { state: 'offered', offeredTo: 'alice', agentId: null, acceptedAt: null }, 'offered to her again (the only Ready agent)');
  t.notOk(h.center.agentState('alice').interactions.has(interaction.id), 'not counted among her chats');
  const accepted = await h.center.accept('alice', interaction.id);
  t.equal(accepted.state, 'active', 'accepted again');
  await h.store.settled();
  t.same(h.store.entriesOf(interaction.id).map((e) => e.kind), ['offered', 'offered', 'accepted']);

  const { interaction: other } = await startChat(h);
  h.store.failNextAppends(new Error('disk full'));
  await t.rejects(h.center.accept('alice', other.id));
  h.clock.advance(30_000);
  t.equal(other.state, 'queued', 'left ringing, the offer lapses and the chat goes back to the queue');
  t.equal(h.center.agentState('alice').presence, 'not_ready');
});

t.test('an Accept whose write failed while the customer ended the chat leaves it ended, and the agent free for offers', async (t) => {
  const h = await makeCenter();
  await h.center.setPresence('alice', 'make_ready');
  const { interaction } = await startChat(h);
  await h.store.settled();
  const append = h.store.appendEntry.bind(h.store);
  h.store.appendEntry = (entry, rec) => (entry.kind === 'accepted' ? new Promise((_, reject) => setTimeout(() => reject(new Error('disk full')), 20)) : append(entry, rec));
  const accepting = h.center.accept('alice', interaction.id);
  await h.center.endByCustomer(interaction.id);
  await t.rejects(accepting, { message: 'disk full' });
  t.equal(interaction.state, 'ended', 'ended stays ended');
  t.equal(h.center.agentState('alice').pendingOffer, null, 'nothing rings for her');
  const { interaction: next } = await startChat(h);
  t.equal(next.offeredTo, 'alice', 'the next chat is offered to her');
});

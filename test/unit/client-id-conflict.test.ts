import t from 'tap';
import { activeChat, makeCenter } from '../helpers/fakes.ts';

// The store keeps a chat's client ids unique. When another writer of the same store (a second node of
// a cluster) stores a send between this node's look-up and its write, the store refuses this write and
// the customer still gets the message that was stored, once.
t.test('a send whose client id another writer stored meanwhile returns that message', async (t) => {
  const h = await makeCenter();
  const { interaction } = await activeChat(h, 'alice');
  await h.store.settled();
  const lookUp = h.store.findEntryByClientId.bind(h.store);
  let lookUps = 0;
  h.store.findEntryByClientId = async (interactionId, clientId) => {
    if (++lookUps > 1) return lookUp(interactionId, clientId);
    const stored = { ...h.store.entriesOf(interaction.id)[0]!, id: 'from-another-node', seq: 50, kind: 'message' as const, author: 'customer' as const, agentId: null, text: 'Help', clientId };
    h.store.entries.get(interactionId)!.push(stored);
    return undefined; // this node looked before the other one's write landed
  };
  const answer = await h.center.postCustomerMessage(interaction.id, 'Help', 'twice-1');
  t.equal(answer.id, 'from-another-node', 'the stored message is the answer');
  await h.store.settled();
  t.equal(h.store.entriesOf(interaction.id).filter((e) => e.clientId === 'twice-1').length, 1, 'stored once');

  h.store.failNextAppends(new Error('disk full'));
  await t.rejects(h.center.postCustomerMessage(interaction.id, 'Help', 'twice-2'), { message: 'disk full' }, 'another failure stays a failure');
});

// A customer's app resends what it has no acknowledgement for (after a reconnect, or on another node)
// while it sends new messages, and the agent writes too: the resend takes no seq, so the timeline stays
// gap-free and a page (or a cluster's follower) reading "everything after n" waits for no hole.
t.test('a resend among sends in flight leaves the timeline without a gap', async (t) => {
  const h = await makeCenter();
  const { interaction } = await activeChat(h, 'alice');
  const first = await h.center.postCustomerMessage(interaction.id, 'My car broke down', 'm-1');
  const [again] = await Promise.all([
    h.center.postCustomerMessage(interaction.id, 'My car broke down', 'm-1'),
    h.center.postCustomerMessage(interaction.id, 'Near exit 12', 'm-2'),
    h.center.postAgentMessage('alice', interaction.id, 'On our way'),
    h.center.postCustomerMessage(interaction.id, 'Thanks', 'm-3'),
  ]);
  t.equal(again.id, first.id, 'the resend gets the first message');
  await h.store.settled();
  const stored = h.store.entriesOf(interaction.id);
  t.same(stored.map((e) => e.seq), stored.map((_, i) => i + 1), 'seqs 1, 2, 3, ... with no gap');
  t.same(
    stored.filter((e) => e.kind === 'message').map((e) => e.text).sort(),
    ['My car broke down', 'Near exit 12', 'On our way', 'Thanks'],
    'each message once',
  );
});

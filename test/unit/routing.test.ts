import t from 'tap';
import type { AgentState } from '../../src/domain/agent-presence.ts';
import { LIMITS } from '../../src/domain/limits.ts';
import { chooseAgent } from '../../src/domain/routing.ts';
import { FakeVideoRooms } from '../helpers/fake-media.ts';
import { activeChat, expectDomainError, makeCenter, startChat } from '../helpers/fakes.ts';

// ---- chooseAgent on its own ------------------------------------------------------------------------

function agent(id: string, over: Partial<AgentState> = {}): AgentState {
  return {
    agentId: id,
    serviceIds: ['roadside'],
    presence: 'ready',
    idleSince: 0,
    interactions: new Set(),
    pendingOffer: null,
    ...over,
  };
}

t.test('chooseAgent: only a Ready agent of the service, without a pending offer and with room', async (t) => {
  const max = 2;
  t.equal(chooseAgent('roadside', [agent('a', { presence: 'not_ready' })], max), undefined, 'not ready: nobody');
  t.equal(chooseAgent('roadside', [agent('a', { serviceIds: ['billing'] })], max), undefined, 'other service: nobody');
  t.equal(chooseAgent('roadside', [agent('a', { pendingOffer: 'x' })], max), undefined, 'offer pending: nobody');
  t.equal(chooseAgent('roadside', [agent('a', { interactions: new Set(['1', '2']) })], max), undefined, 'full: nobody');
  t.equal(chooseAgent('roadside', [agent('a', { interactions: new Set(['1']) })], max)?.agentId, 'a', 'room for one more');
  t.equal(chooseAgent('roadside', [], max), undefined, 'no agents at all');
});

t.test('chooseAgent: least loaded first, then longest idle, then by id', async (t) => {
  const busyButIdleLongest = agent('a', { idleSince: 0, interactions: new Set(['1']) });
  const freeSinceLater = agent('b', { idleSince: 50 });
  const freeSinceEarlier = agent('c', { idleSince: 10 });
  t.equal(chooseAgent('roadside', [busyButIdleLongest, freeSinceLater, freeSinceEarlier], 3)?.agentId, 'c');
  t.equal(chooseAgent('roadside', [busyButIdleLongest, freeSinceLater], 3)?.agentId, 'b', 'load beats idle time');
  t.equal(chooseAgent('roadside', [agent('z', { idleSince: 5 }), agent('y', { idleSince: 5 })], 3)?.agentId, 'y', 'ties by id');
});

// ---- routing through the contact center ---------------------------------------------------------------

t.test('a new chat is offered to a Ready agent of its service', async (t) => {
  const h = await makeCenter();
  h.center.setPresence('carol', 'make_ready'); // billing only
  h.center.setPresence('alice', 'make_ready');
  const { interaction } = await startChat(h);
  t.equal(interaction.state, 'offered');
  t.equal(interaction.offeredTo, 'alice');
  t.equal(h.center.agentState('alice').pendingOffer, interaction.id);
  t.same(
    h.center.openInteractionsOf('alice').map((r) => r.id),
    [interaction.id],
    'the offer shows on the agent desktop',
  );
  t.same(h.center.openInteractionsOf('carol'), [], 'an agent of another service sees nothing');
  await h.store.settled();
  t.same(
    h.store.entriesOf(interaction.id).map((e) => [e.seq, e.kind, e.agentId]),
    [[1, 'offered', 'alice']],
  );
  t.ok(
    h.events.some((e) => e.type === 'interaction_changed' && e.interaction.id === interaction.id && e.interaction.state === 'offered'),
    'pages hear of the offer',
  );
});

t.test('a chat is queued when no agent of its service is Ready', async (t) => {
  const h = await makeCenter();
  h.center.setPresence('carol', 'make_ready'); // Ready, but for billing
  const { interaction } = await startChat(h);
  t.equal(interaction.state, 'queued');
  t.equal(interaction.offeredTo, null);
  t.equal(h.center.agentState('carol').pendingOffer, null);
  t.equal(h.clock.pendingTimers, 0, 'no offer timer runs for a queued chat');
  await h.store.settled();
  t.equal(h.store.interactions.get(interaction.id)?.state, 'queued', 'the queued chat is stored');
});

t.test('a queued chat is offered as soon as an agent of its service becomes Ready', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h);
  t.equal(interaction.state, 'queued');
  h.center.setPresence('alice', 'make_ready');
  t.equal(interaction.state, 'offered');
  t.equal(interaction.offeredTo, 'alice');
  t.equal(interaction.offeredAt, h.clock.now());
});

t.test('least loaded first: an agent with no chat is preferred to a busy one idle longer', async (t) => {
  const h = await makeCenter();
  await activeChat(h, 'alice'); // alice Ready first, now handles one chat
  h.clock.advance(1000);
  h.center.setPresence('bob', 'make_ready');
  const { interaction } = await startChat(h);
  t.equal(interaction.offeredTo, 'bob');
});

t.test('among equally loaded agents the one idle the longest gets the chat', async (t) => {
  const h = await makeCenter();
  h.center.setPresence('bob', 'make_ready');
  h.clock.advance(1000);
  h.center.setPresence('alice', 'make_ready');
  const first = await startChat(h);
  t.equal(first.interaction.offeredTo, 'bob', 'bob has waited longer than alice');
  const second = await startChat(h);
  t.equal(second.interaction.offeredTo, 'alice', 'bob has an offer pending, so alice gets the next');
});

t.test('clicking Ready again does not send an agent to the back of the line', async (t) => {
  const h = await makeCenter();
  h.center.setPresence('bob', 'make_ready');
  h.clock.advance(1000);
  h.center.setPresence('alice', 'make_ready');
  h.clock.advance(1000);
  h.center.setPresence('bob', 'make_ready');
  const { interaction } = await startChat(h);
  t.equal(interaction.offeredTo, 'bob');
});

t.test('an agent whose last chat ended is idle from that moment', async (t) => {
  const h = await makeCenter();
  const { interaction } = await activeChat(h, 'alice');
  h.clock.advance(1000);
  h.center.setPresence('bob', 'make_ready'); // bob idle from now
  h.clock.advance(1000);
  await h.center.disconnect('alice', interaction.id); // alice idle from later
  t.equal(h.center.agentState('alice').idleSince, h.clock.now());
  const next = await startChat(h);
  t.equal(next.interaction.offeredTo, 'bob', 'bob has been idle longer than alice');
});

t.test('an unanswered offer goes back to the queue after offerTimeoutMs and the agent becomes Not Ready', async (t) => {
  const h = await makeCenter({ config: { offerTimeoutMs: 20_000 } });
  h.center.setPresence('alice', 'make_ready');
  const { interaction } = await startChat(h);
  const offeredAt = interaction.offeredAt ?? 0;
  h.clock.advance(offeredAt + 20_000 - 1 - h.clock.now());
  t.equal(interaction.state, 'offered', 'still ringing 1 ms before the timeout');
  t.equal(h.center.agentState('alice').presence, 'ready');

  h.clock.advance(1);
  t.equal(interaction.state, 'queued', 'back in the queue at the timeout');
  t.equal(interaction.offeredTo, null);
  const alice = h.center.agentState('alice');
  t.equal(alice.presence, 'not_ready', 'the agent who let it ring is made Not Ready');
  t.equal(alice.pendingOffer, null);
  t.same(h.center.openInteractionsOf('alice'), [], 'the offer is gone from her desktop');
  t.ok(
    h.events.some((e) => e.type === 'presence_changed' && e.agent.agentId === 'alice' && e.agent.presence === 'not_ready'),
    'her page hears she is Not Ready',
  );
  await h.store.settled();
  t.same(
    h.store.entriesOf(interaction.id).map((e) => [e.seq, e.kind, e.agentId]),
    [
      [1, 'offered', 'alice'],
      [2, 'offer_expired', 'alice'],
    ],
  );
  t.equal(h.store.interactions.get(interaction.id)?.state, 'queued', 'the store knows it is queued again');
  await expectDomainError(t, h.center.accept('alice', interaction.id), 'forbidden', 'not_offered_to_you');

  h.center.setPresence('bob', 'make_ready');
  t.equal(interaction.state, 'offered');
  t.equal(interaction.offeredTo, 'bob', 'the chat then reaches the next Ready agent');
});

t.test('on timeout the chat is offered at once to another Ready agent', async (t) => {
  const h = await makeCenter();
  h.center.setPresence('alice', 'make_ready');
  h.clock.advance(10);
  h.center.setPresence('bob', 'make_ready');
  const { interaction } = await startChat(h);
  t.equal(interaction.offeredTo, 'alice');
  h.clock.advance(h.config.offerTimeoutMs);
  t.equal(interaction.state, 'offered');
  t.equal(interaction.offeredTo, 'bob');
  t.equal(h.center.agentState('bob').pendingOffer, interaction.id);
  t.equal(h.center.agentState('alice').presence, 'not_ready');
  t.equal(h.clock.pendingTimers, 1, 'only the new offer is timed');

  await h.center.accept('bob', interaction.id);
  t.equal(interaction.state, 'active');
  t.equal(interaction.agentId, 'bob');
  await h.store.settled();
  t.same(
    h.store.entriesOf(interaction.id).map((e) => [e.seq, e.kind, e.agentId]),
    [
      [1, 'offered', 'alice'],
      [2, 'offer_expired', 'alice'],
      [3, 'offered', 'bob'],
      [4, 'accepted', 'bob'],
    ],
  );
});

t.test('an offer accepted in time never expires', async (t) => {
  const h = await makeCenter();
  h.center.setPresence('alice', 'make_ready');
  const { interaction } = await startChat(h);
  await h.center.accept('alice', interaction.id);
  t.equal(h.clock.pendingTimers, 0, 'the offer timer is cancelled');
  h.clock.advance(h.config.offerTimeoutMs * 2);
  t.equal(interaction.state, 'active');
  t.equal(h.center.agentState('alice').presence, 'ready', 'the agent stays Ready');
});

t.test('a chat the customer ends while it rings frees the agent for the next one', async (t) => {
  const h = await makeCenter();
  h.center.setPresence('alice', 'make_ready');
  const first = await startChat(h);
  const second = await startChat(h);
  t.equal(second.interaction.state, 'queued');
  await h.center.endByCustomer(first.interaction.id);
  t.equal(first.interaction.state, 'ended');
  t.equal(second.interaction.state, 'offered');
  t.equal(second.interaction.offeredTo, 'alice');
  t.equal(h.clock.pendingTimers, 1, 'the ended offer’s timer is gone');
  h.clock.advance(h.config.offerTimeoutMs - 1);
  t.equal(h.center.agentState('alice').presence, 'ready', 'the old timer does not make her Not Ready');
});

t.test('an agent has at most one pending offer', async (t) => {
  const h = await makeCenter();
  h.center.setPresence('alice', 'make_ready');
  const first = await startChat(h);
  const second = await startChat(h);
  t.equal(first.interaction.offeredTo, 'alice');
  t.equal(second.interaction.state, 'queued', 'the second waits while the first rings');
  t.equal(h.center.openInteractionsOf('alice').length, 1);
  await h.center.accept('alice', first.interaction.id);
  t.equal(second.interaction.state, 'offered', 'offered once the first is accepted');
  t.equal(second.interaction.offeredTo, 'alice');
});

t.test('queued chats are offered oldest first', async (t) => {
  const h = await makeCenter();
  const older = await startChat(h);
  const newer = await startChat(h);
  h.center.setPresence('alice', 'make_ready');
  t.equal(older.interaction.offeredTo, 'alice');
  t.equal(newer.interaction.state, 'queued');
  h.center.setPresence('bob', 'make_ready');
  t.equal(newer.interaction.offeredTo, 'bob');
});

t.test('maxChatsPerAgent is respected', async (t) => {
  const h = await makeCenter({ config: { maxChatsPerAgent: 2 } });
  h.center.setPresence('alice', 'make_ready');
  const chats = [await startChat(h), await startChat(h), await startChat(h)];
  await h.center.accept('alice', chats[0]!.interaction.id);
  await h.center.accept('alice', chats[1]!.interaction.id);
  const third = chats[2]!.interaction;
  t.equal(third.state, 'queued', 'a third chat is not offered to an agent with two');
  t.equal(h.center.agentState('alice').interactions.size, 2);
  h.center.setPresence('alice', 'make_ready');
  t.equal(third.state, 'queued', 'clicking Ready again does not lift the limit');

  await h.center.disconnect('alice', chats[0]!.interaction.id);
  t.equal(third.state, 'offered', 'offered once one of her chats ends');
  t.equal(third.offeredTo, 'alice');
});

t.test('maxChatsPerAgent of one: a busy agent gets nothing while a free one does', async (t) => {
  const h = await makeCenter({ config: { maxChatsPerAgent: 1 } });
  await activeChat(h, 'alice');
  const { interaction } = await startChat(h);
  t.equal(interaction.state, 'queued');
  h.center.setPresence('bob', 'make_ready');
  t.equal(interaction.offeredTo, 'bob');
});

t.test('an agent of another service never gets the chat', async (t) => {
  const h = await makeCenter();
  h.center.setPresence('carol', 'make_ready');
  const roadside = await startChat(h);
  const billing = await startChat(h, { serviceId: 'billing' });
  t.equal(roadside.interaction.state, 'queued');
  t.equal(billing.interaction.offeredTo, 'carol');
});

t.test('presence of an unknown agent is not_found', async (t) => {
  const h = await makeCenter();
  await expectDomainError(t, () => h.center.setPresence('mallory', 'make_ready'), 'not_found', 'agent_not_found');
});

// ---- the bound on waiting chats -------------------------------------------------------------------

t.test('chats waiting for an agent are bounded: past MAX_WAITING_CHATS a new chat is refused (503) and nothing is made', async (t) => {
  const h = await makeCenter({ config: { maxWaitingChats: 2 } });
  const first = await startChat(h);
  await startChat(h);
  await expectDomainError(t, () => startChat(h), 'unavailable', 'queue_full');
  t.equal(h.center.openInteractions().length, 2, 'no third chat was made');
  // An accepted chat no longer waits, and one the customer ended leaves the queue: room again.
  h.center.setPresence('alice', 'make_ready');
  await h.center.accept('alice', first.interaction.id);
  const third = await startChat(h);
  await expectDomainError(t, () => startChat(h), 'unavailable', 'queue_full');
  await h.center.endByCustomer(third.interaction.id);
  await startChat(h);
  t.equal(h.center.openInteractions().filter((rec) => rec.state !== 'active').length, 2);
});

t.test('chats started at once cannot pass MAX_WAITING_CHATS together; one whose storing failed takes no place', async (t) => {
  const h = await makeCenter({ config: { maxWaitingChats: 2 } });
  const started = await Promise.allSettled(Array.from({ length: 6 }, () => startChat(h)));
  t.equal(started.filter((r) => r.status === 'fulfilled').length, 2, 'two of six started');
  t.same([...new Set(started.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code: string }).code] : [])))], ['queue_full'], 'the others refused as the queue is full');
  t.equal(h.center.openInteractions().length, 2, 'two chats wait');
  const other = await makeCenter({ config: { maxWaitingChats: 1 } });
  const save = other.store.saveInteraction.bind(other.store);
  other.store.saveInteraction = async () => {
    other.store.saveInteraction = save;
    throw new Error('disk full');
  };
  await t.rejects(startChat(other), /disk full/);
  await startChat(other);
  t.equal(other.center.openInteractions().length, 1, 'the failed start left its place');
});

t.test("a chat's timeline is bounded: past MAX_CHAT_ENTRIES the customer writes no more (409 chat_full); the agent still writes, and the chat still ends", async (t) => {
  const h = await makeCenter({ maxChatEntries: 10, video: new FakeVideoRooms() });
  const { interaction } = await activeChat(h);
  while (interaction.lastSeq < 9) await h.center.postCustomerMessage(interaction.id, `message ${interaction.lastSeq}`);
  t.equal((await h.desk.requestVideo(interaction.id)).created, true, 'video asked for as the tenth entry');
  await expectDomainError(t, () => h.center.postCustomerMessage(interaction.id, 'one more'), 'conflict', 'chat_full');
  await expectDomainError(t, () => h.center.postCustomerMessage(interaction.id, 'one more', 'c-more'), 'conflict', 'chat_full', 'with a client id');
  // What a customer may repeat without end adds entries too: a context update, asking for video.
  await expectDomainError(t, () => h.center.updateContext(interaction.id, { fields: { fuel: 'empty' } }), 'conflict', 'chat_full', 'a context update');
  t.same(interaction.context.fields, {}, 'the context unchanged');
  // Asking again for the video already asked for adds nothing: still answered.
  t.equal((await h.desk.requestVideo(interaction.id)).created, false, 'asked again: answered, nothing added');
  t.equal(interaction.lastSeq, 10, 'nothing stored');
  // Closing it stays possible (it adds an entry); asking anew is one more entry: refused.
  await h.desk.customerCloseVideo(interaction.id);
  await expectDomainError(t, () => h.desk.requestVideo(interaction.id), 'conflict', 'chat_full', 'asking for video anew');
  t.equal(interaction.video?.state, 'closed', 'no new video asked for');
  await h.center.postAgentMessage('alice', interaction.id, 'Please start a new chat for anything else.');
  await h.center.endByCustomer(interaction.id);
  t.equal(interaction.state, 'ended');
  // Without the setting: LIMITS.chatEntriesMax.
  const plain = await makeCenter();
  const chat = (await activeChat(plain)).interaction;
  chat.lastSeq = LIMITS.chatEntriesMax; // as after that many entries
  await expectDomainError(t, () => plain.center.postCustomerMessage(chat.id, 'one more'), 'conflict', 'chat_full', 'by default');
});

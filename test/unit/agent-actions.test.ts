import t from 'tap';
import { LIMITS } from '../../src/domain/limits.ts';
import { activeChat, expectDomainError, makeCenter, startChat } from '../helpers/fakes.ts';
import { PNG } from '../helpers/images.ts';

t.test('only the agent the chat is offered to can accept it', async (t) => {
  const h = await makeCenter();
  h.center.setPresence('alice', 'make_ready');
  const { interaction } = await startChat(h);
  await expectDomainError(t, h.center.accept('bob', interaction.id), 'forbidden', 'not_offered_to_you');
  await expectDomainError(t, h.center.accept('carol', interaction.id), 'forbidden', 'not_offered_to_you');
  t.equal(interaction.state, 'offered', 'the refused accept changes nothing');
  t.equal(interaction.offeredTo, 'alice');

  h.clock.advance(5);
  const rec = await h.center.accept('alice', interaction.id);
  t.equal(rec.state, 'active');
  t.equal(rec.agentId, 'alice');
  t.equal(rec.offeredTo, null);
  t.equal(rec.acceptedAt, h.clock.now());
  const alice = h.center.agentState('alice');
  t.equal(alice.pendingOffer, null);
  t.ok(alice.interactions.has(interaction.id), 'the chat counts in her load');
  await h.store.settled();
  const accepted = h.store.entriesOf(interaction.id).at(-1);
  t.match(accepted, { kind: 'accepted', author: 'agent', agentId: 'alice' });
  t.equal(h.store.interactions.get(interaction.id)?.state, 'active', 'stored as active');
});

t.test('a queued chat cannot be accepted by anyone', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h);
  await expectDomainError(t, h.center.accept('alice', interaction.id), 'forbidden', 'not_offered_to_you');
  t.equal(interaction.state, 'queued');
});

t.test('accepting twice is refused and the chat stays with the agent', async (t) => {
  const h = await makeCenter();
  const { interaction } = await activeChat(h, 'alice');
  await expectDomainError(t, h.center.accept('alice', interaction.id), 'forbidden');
  t.equal(interaction.state, 'active');
  t.equal(interaction.agentId, 'alice');
});

t.test('an agent message is accepted only from the agent who accepted the chat', async (t) => {
  const h = await makeCenter();
  h.center.setPresence('alice', 'make_ready');
  const { interaction } = await startChat(h);
  await expectDomainError(t, h.center.postAgentMessage('alice', interaction.id, 'hello'), 'forbidden', 'not_your_chat');
  await h.center.accept('alice', interaction.id);
  await expectDomainError(t, h.center.postAgentMessage('bob', interaction.id, 'hi'), 'forbidden', 'not_your_chat');

  const entry = await h.center.postAgentMessage('alice', interaction.id, 'Hello, how can I help?');
  t.match(entry, { kind: 'message', author: 'agent', agentId: 'alice', text: 'Hello, how can I help?' });
  await h.store.settled();
  const texts = h.store.entriesOf(interaction.id).filter((e) => e.kind === 'message').map((e) => [e.author, e.text]);
  t.same(texts, [['agent', 'Hello, how can I help?']], 'only the accepting agent’s message is in the chat');
});

t.test('agent messages obey the same text rules as the customer’s', async (t) => {
  const h = await makeCenter();
  const { interaction } = await activeChat(h, 'alice');
  await expectDomainError(t, h.center.postAgentMessage('alice', interaction.id, '  '), 'invalid', 'empty_text');
  await expectDomainError(t, h.center.postAgentMessage('alice', interaction.id, 'x'.repeat(LIMITS.textMaxChars + 1)), 'invalid', 'text_too_long');
});

t.test('only the handling agent can disconnect', async (t) => {
  const h = await makeCenter();
  const { interaction } = await activeChat(h, 'alice');
  await expectDomainError(t, h.center.disconnect('bob', interaction.id), 'forbidden', 'not_your_chat');
  t.equal(interaction.state, 'active');
});

t.test('an agent cannot disconnect a chat merely offered to them', async (t) => {
  const h = await makeCenter();
  h.center.setPresence('alice', 'make_ready');
  const { interaction } = await startChat(h);
  await expectDomainError(t, h.center.disconnect('alice', interaction.id), 'forbidden', 'not_your_chat');
  t.equal(interaction.state, 'offered');
});

t.test('disconnect by the agent ends the chat; the timeline is in order with gap-free seq', async (t) => {
  const h = await makeCenter();
  h.center.setPresence('alice', 'make_ready');
  const { interaction } = await startChat(h);
  await h.center.postCustomerMessage(interaction.id, 'My car broke down');
  await h.center.accept('alice', interaction.id);
  await h.center.postAgentMessage('alice', interaction.id, 'Where are you?');
  await h.center.updateContext(interaction.id, { location: { lat: 48.85, lon: 2.35 } });
  await h.center.addAttachment(interaction.id, {
    bytes: PNG,
    sniffedType: 'image/png',
    declaredType: 'image/png',
    fileName: 'car.png',
  });
  await h.center.postCustomerMessage(interaction.id, 'Here, next to the bakery', 'c-2');
  h.clock.advance(60_000);
  const ended = await h.center.disconnect('alice', interaction.id);

  t.equal(ended.state, 'ended');
  t.equal(ended.endedBy, 'agent');
  t.equal(ended.endedAt, h.clock.now());
  t.same(h.center.openInteractions(), [], 'no longer open');
  t.same(h.center.openInteractionsOf('alice'), [], 'gone from the agent’s open chats');
  t.equal(h.center.agentState('alice').interactions.size, 0, 'no longer counts in her load');

  await h.store.settled();
  const entries = h.store.entriesOf(interaction.id);
  t.same(
    entries.map((e) => [e.kind, e.author]),
    [
      ['offered', 'system'],
      ['message', 'customer'],
      ['accepted', 'agent'],
      ['message', 'agent'],
      ['context', 'customer'],
      ['attachment', 'customer'],
      ['message', 'customer'],
      ['ended', 'agent'],
    ],
  );
  t.same(
    entries.map((e) => e.seq),
    entries.map((_, i) => i + 1),
    'seq runs 1, 2, 3, ... without a gap',
  );
  t.equal(entries.at(-1)?.agentId, 'alice', 'the ended entry names the agent');
  const stored = h.store.interactions.get(interaction.id);
  t.equal(stored?.state, 'ended');
  t.equal(stored?.lastSeq, entries.length, 'the stored record knows the last seq');
  t.same(
    (await h.center.timeline(interaction.id, 5)).map((e) => e.seq),
    [6, 7, 8],
    'a page reconnecting after seq 5 gets exactly the rest',
  );
  t.same((await h.center.history('alice', { limit: 10 })).map((r) => [r.interaction.id, r.workedBy]), [[interaction.id, ['alice']]], 'the chat is in her history, worked by her');
});

t.test('the customer can end a chat; the agent is freed', async (t) => {
  const h = await makeCenter();
  const { interaction } = await activeChat(h, 'alice');
  const ended = await h.center.endByCustomer(interaction.id);
  t.equal(ended.endedBy, 'customer');
  t.equal(h.center.agentState('alice').interactions.size, 0);
  await h.store.settled();
  t.match(h.store.entriesOf(interaction.id).at(-1), { kind: 'ended', author: 'customer', agentId: null });
});

t.test('acting on an ended chat is a conflict with code chat_ended, and adds nothing', async (t) => {
  const h = await makeCenter();
  const { interaction } = await activeChat(h, 'alice');
  await h.center.disconnect('alice', interaction.id);
  await h.store.settled();
  const before = h.store.entriesOf(interaction.id).length;
  const id = interaction.id;

  await expectDomainError(t, h.center.postCustomerMessage(id, 'hello?'), 'conflict', 'chat_ended');
  await expectDomainError(t, h.center.postCustomerMessage(id, 'hello?', 'c-1'), 'conflict', 'chat_ended');
  await expectDomainError(t, h.center.postAgentMessage('alice', id, 'still there?'), 'conflict', 'chat_ended');
  await expectDomainError(
    t,
    h.center.addAttachment(id, { bytes: PNG, sniffedType: 'image/png', declaredType: 'image/png', fileName: 'a.png' }),
    'conflict',
    'chat_ended',
  );
  await expectDomainError(t, h.center.updateContext(id, { fields: { a: 'b' } }), 'conflict', 'chat_ended');
  await expectDomainError(t, h.center.endByCustomer(id), 'conflict', 'chat_ended');
  await expectDomainError(t, h.center.disconnect('alice', id), 'conflict', 'chat_ended');
  await expectDomainError(t, h.center.accept('alice', id), 'conflict', 'chat_ended');

  await h.store.settled();
  t.equal(h.store.entriesOf(id).length, before, 'nothing was appended to the ended chat');
  t.equal(h.attachments.files.size, 0, 'no photo was kept for it');
});

t.test('an agent sees the interactions offered to them or handled by them, and no others', async (t) => {
  const h = await makeCenter();
  h.center.setPresence('alice', 'make_ready');
  const { interaction } = await startChat(h);
  t.equal((await h.center.interactionForAgent('alice', interaction.id)).id, interaction.id, 'offered: visible');
  await expectDomainError(t, h.center.interactionForAgent('bob', interaction.id), 'forbidden', 'not_your_interaction');
  await h.center.accept('alice', interaction.id);
  await h.center.disconnect('alice', interaction.id);
  await h.store.settled();
  t.equal((await h.center.interactionForAgent('alice', interaction.id)).state, 'ended', 'handled: visible in history');
  await expectDomainError(t, h.center.interactionForAgent('alice', 'no-such-id'), 'not_found', 'interaction_not_found');
});

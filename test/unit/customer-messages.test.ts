import t from 'tap';
import { LIMITS } from '../../src/domain/limits.ts';
import { activeChat, expectDomainError, makeCenter, startChat } from '../helpers/fakes.ts';

t.test('an empty or blank message is invalid and is not stored', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h);
  await expectDomainError(t, h.center.postCustomerMessage(interaction.id, ''), 'invalid', 'empty_text');
  await expectDomainError(t, h.center.postCustomerMessage(interaction.id, ' \n\t '), 'invalid', 'empty_text');
  await expectDomainError(t, h.center.postCustomerMessage(interaction.id, '', 'c-1'), 'invalid', 'empty_text');
  await h.store.settled();
  t.same(h.store.entriesOf(interaction.id), []);
  t.equal(interaction.lastSeq, 0, 'no seq was used up');
});

t.test('a message longer than LIMITS.textMaxChars is invalid; one of exactly that length is accepted', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h);
  const err = await expectDomainError(
    t,
    h.center.postCustomerMessage(interaction.id, 'a'.repeat(LIMITS.textMaxChars + 1)),
    'invalid',
    'text_too_long',
  );
  t.match(err?.message, String(LIMITS.textMaxChars), 'the message tells the limit');
  const atLimit = await h.center.postCustomerMessage(interaction.id, 'b'.repeat(LIMITS.textMaxChars));
  t.equal(atLimit.text?.length, LIMITS.textMaxChars);
  await h.store.settled();
  t.equal(h.store.entriesOf(interaction.id).length, 1, 'only the message within the limit is stored');
});

t.test('a 4000-character message (a long SMS) is accepted whole', async (t) => {
  const h = await makeCenter();
  const { interaction } = await activeChat(h, 'alice', { channel: 'sms' });
  const words = 'The engine stopped on the A6 near exit 12, hazard lights on. ';
  const text = words.repeat(Math.ceil(4000 / words.length)).slice(0, 3999) + '!';
  t.equal(text.length, 4000);
  const entry = await h.center.postCustomerMessage(interaction.id, text);
  t.equal(entry.text, text, 'returned whole');
  await h.store.settled();
  const stored = h.store.entriesOf(interaction.id).find((e) => e.id === entry.id);
  t.equal(stored?.text, text, 'stored whole, not cut at 160 or anywhere else');
  t.match(stored, { kind: 'message', author: 'customer' });
});

t.test('a repeated client_id returns the first message, and the store holds one', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h);
  const first = await h.center.postCustomerMessage(interaction.id, 'Flat tyre', 'c-42');
  const again = await h.center.postCustomerMessage(interaction.id, 'Flat tyre', 'c-42');
  const changed = await h.center.postCustomerMessage(interaction.id, 'Flat tyre (edited)', 'c-42');
  t.equal(again.id, first.id, 'a retry gets the same entry');
  t.equal(again.seq, first.seq);
  t.equal(changed.id, first.id, 'even when the retry carries another text');
  t.equal(changed.text, 'Flat tyre', 'the first text stands');
  await h.store.settled();
  const stored = h.store.entriesOf(interaction.id);
  t.equal(stored.length, 1, 'one message stored');
  t.equal(stored[0]?.clientId, 'c-42');
  t.equal(interaction.lastSeq, 1, 'no seq was used up by the retries');

  const other = await h.center.postCustomerMessage(interaction.id, 'Flat tyre', 'c-43');
  t.not(other.id, first.id, 'another client_id is another message');
  t.equal(other.seq, 2);
});

t.test('two posts racing with the same client_id give one message', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h);
  const [a, b, c] = await Promise.all([
    h.center.postCustomerMessage(interaction.id, 'Help', 'race-1'),
    h.center.postCustomerMessage(interaction.id, 'Help', 'race-1'),
    h.center.postCustomerMessage(interaction.id, 'Help', 'race-1'),
  ]);
  t.equal(a.id, b.id);
  t.equal(a.id, c.id);
  await h.store.settled();
  const stored = h.store.entriesOf(interaction.id);
  t.same(
    stored.map((e) => [e.seq, e.clientId, e.text]),
    [[1, 'race-1', 'Help']],
    'the store holds exactly one message',
  );
  t.equal(h.events.filter((e) => e.type === 'entry_appended').length, 1, 'pages are told of it once');
});

t.test('a retry arriving after the first write finished still gets the first message', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h);
  const first = await h.center.postCustomerMessage(interaction.id, 'Help', 'late-1');
  await h.store.settled();
  h.clock.advance(10_000);
  const late = await h.center.postCustomerMessage(interaction.id, 'Help', 'late-1');
  t.equal(late.id, first.id);
  t.equal(late.createdAt, first.createdAt, 'the first message, with its own time');
  await h.store.settled();
  t.equal(h.store.entriesOf(interaction.id).length, 1);
});

t.test('the same client_id in two chats makes two messages', async (t) => {
  const h = await makeCenter();
  const one = await startChat(h);
  const two = await startChat(h);
  const [a, b] = await Promise.all([
    h.center.postCustomerMessage(one.interaction.id, 'Hi', 'same'),
    h.center.postCustomerMessage(two.interaction.id, 'Hi', 'same'),
  ]);
  t.not(a.id, b.id);
  t.equal(a.interactionId, one.interaction.id);
  t.equal(b.interactionId, two.interaction.id);
});

t.test('without client_id, identical messages are two messages, in order', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h);
  const results = await Promise.all([
    h.center.postCustomerMessage(interaction.id, 'ok'),
    h.center.postCustomerMessage(interaction.id, 'ok'),
    h.center.postCustomerMessage(interaction.id, 'then this'),
  ]);
  t.same(
    results.map((e) => e.seq),
    [1, 2, 3],
  );
  await h.store.settled();
  t.same(
    h.store.entriesOf(interaction.id).map((e) => [e.seq, e.text]),
    [
      [1, 'ok'],
      [2, 'ok'],
      [3, 'then this'],
    ],
  );
});

t.test('a customer may write while still waiting in the queue', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h);
  t.equal(interaction.state, 'queued');
  const entry = await h.center.postCustomerMessage(interaction.id, 'Anyone there?');
  t.match(entry, { kind: 'message', author: 'customer', agentId: null, text: 'Anyone there?' });
  t.ok(
    h.events.some((e) => e.type === 'entry_appended' && e.entry.id === entry.id),
    'pages hear of the message',
  );
});

t.test('context updates merge and land on the timeline', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h, { context: { fields: { plate: 'AB-123' } } });
  t.same(interaction.context.fields, { plate: 'AB-123' }, 'context sent with the chat is kept');
  const rec = await h.center.updateContext(interaction.id, { fields: { fuel: 'empty' }, location: { lat: 1, lon: 2 } });
  t.same(rec.context, { fields: { plate: 'AB-123', fuel: 'empty' }, location: { lat: 1, lon: 2 } });
  await h.store.settled();
  t.match(h.store.entriesOf(interaction.id).at(-1), {
    kind: 'context',
    author: 'customer',
    data: { fields: { fuel: 'empty' }, location: { lat: 1, lon: 2 } },
  });
  t.same(h.store.interactions.get(interaction.id)?.context.fields, { plate: 'AB-123', fuel: 'empty' }, 'stored merged');
});

t.test('context beyond LIMITS.contextMaxFields is refused and the old context stays', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h);
  const fields = Object.fromEntries(Array.from({ length: LIMITS.contextMaxFields + 1 }, (_, i) => [`k${i}`, 'v']));
  await expectDomainError(t, h.center.updateContext(interaction.id, { fields }), 'invalid', 'too_many_fields');
  t.same(interaction.context.fields, {});
});

// The limit holds at start as on update: else a chat started with too many fields has every later
// context update refused with too_many_fields, and the customer's "Share location" stops working.
t.test('the context sent with a new chat obeys the same field limit as an update', async (t) => {
  const h = await makeCenter();
  const fields = Object.fromEntries(Array.from({ length: LIMITS.contextMaxFields + 1 }, (_, i) => [`k${i}`, 'v']));
  await expectDomainError(t, startChat(h, { context: { fields } }), 'invalid', 'too_many_fields');
});

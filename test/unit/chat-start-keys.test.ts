// Start chat sent again with its Idempotency-Key (its answer was lost on a mobile network) answers
// with the chat the first one started: one chat in the queue, and its token opens it.
import t from 'tap';
import type { InteractionRecord } from '../../src/domain/interaction.ts';
import { WriteFailed } from '../../src/store/errors.ts';
import { MemoryInteractionStore } from '../helpers/fake-ports.ts';
import { expectDomainError, makeCenter, newChat } from '../helpers/fakes.ts';

const KEY = 'f3b1c2d4e5f60718293a4b5c6d7e8f90';

t.test('the same start sent again with its key answers with the first chat and its token; nothing new is queued', async (t) => {
  const h = await makeCenter();
  const chat = newChat({ startKey: KEY });
  const first = await h.center.startChat(chat);
  h.clock.advance(5_000);
  const again = await h.center.startChat({ ...chat });
  t.equal(again.interaction.id, first.interaction.id, 'the same chat');
  t.equal(again.token, first.token, 'the same token, although only its hash is stored');
  t.same([first.replayed, again.replayed], [false, true]);
  t.equal((await h.center.authorizeCustomer(first.interaction.id, again.token)).id, first.interaction.id, 'the token opens it');
  await h.store.settled();
  t.equal(h.store.interactions.size, 1, 'one chat stored');
  t.same(h.center.openInteractions().map((rec) => rec.id), [first.interaction.id], 'one chat waits');
  const stored = JSON.stringify(h.store.interactions.get(first.interaction.id));
  t.notMatch(stored, KEY, 'the key itself is not kept');
  t.notMatch(stored, first.token, 'nor the token');

  const other = await h.center.startChat(newChat({ startKey: 'another-key-of-22-chars' }));
  t.not(other.interaction.id, first.interaction.id, 'another key starts another chat');
  t.not(other.token, first.token);
});

t.test('two starts with one key at once make one chat', async (t) => {
  const h = await makeCenter();
  const chat = newChat({ startKey: KEY });
  const [a, b] = await Promise.all([h.center.startChat(chat), h.center.startChat({ ...chat })]);
  t.equal(a.interaction.id, b.interaction.id);
  t.equal(a.token, b.token);
  await h.store.settled();
  t.equal(h.store.interactions.size, 1);
});

t.test('the key of an ended chat still answers with it, ended: the page shows the end rather than a new chat', async (t) => {
  const h = await makeCenter();
  const chat = newChat({ startKey: KEY });
  const first = await h.center.startChat(chat);
  await h.center.endByCustomer(first.interaction.id);
  const again = await h.center.startChat({ ...chat });
  t.equal(again.interaction.id, first.interaction.id);
  t.equal(again.interaction.state, 'ended');
  t.same(h.center.openInteractions(), []);
});

t.test('a key sent with other details is refused and starts nothing; a malformed key is invalid', async (t) => {
  const h = await makeCenter();
  const chat = newChat({ startKey: KEY });
  const first = await h.center.startChat(chat);
  for (const [what, change] of [
    ['name', { customer: { ...chat.customer, name: 'Somebody Else' } }],
    ['phone', { customer: { ...chat.customer, phone: '+15559990000' } }],
    ['service', { serviceId: 'billing' }],
  ] as const) {
    const err = await expectDomainError(t, h.center.startChat({ ...chat, ...change }), 'conflict', 'idempotency_key_reused', what);
    t.notMatch(err?.message, first.token, 'the first chat is not handed over');
  }
  for (const key of ['', 'short', 'x'.repeat(129), 'has spaces in it, twenty-two+', 'ключ-ключ-ключ-ключ-ключ']) {
    await expectDomainError(t, h.center.startChat(newChat({ startKey: key })), 'invalid', 'invalid_idempotency_key', JSON.stringify(key));
  }
  await h.store.settled();
  t.equal(h.store.interactions.size, 1, 'only the first chat');
});

t.test('a start refused by the rules keeps its key free: sent again once it can pass, it starts the chat', async (t) => {
  const h = await makeCenter();
  const chat = newChat({ startKey: KEY, customer: { name: 'Dana', phone: '12345' } });
  await expectDomainError(t, h.center.startChat(chat), 'invalid', 'invalid_phone');
  const fixed = await h.center.startChat({ ...chat, customer: { name: 'Dana', phone: '+15551234567' } });
  t.equal(fixed.replayed, false);
  t.equal(fixed.interaction.customer.phone, '+15551234567');
});

// The store wrote the chat, then said it failed (PostgreSQL's connection broke during COMMIT).
class StoresThenFails extends MemoryInteractionStore {
  failNextSave = false;
  override saveInteraction(rec: InteractionRecord): Promise<void> {
    const fail = this.failNextSave;
    this.failNextSave = false;
    const written = super.saveInteraction(rec);
    return fail ? written.then(() => Promise.reject(new WriteFailed('Connection terminated unexpectedly', 'ERR_POSTGRES', { maybeCommitted: true }))) : written;
  }
}

t.test('a start the store wrote though it said it failed answers with that chat, which waits in the queue', async (t) => {
  const store = new StoresThenFails();
  const h = await makeCenter({ store });
  store.failNextSave = true;
  const started = await h.center.startChat(newChat({ startKey: KEY }));
  t.equal(started.replayed, false, "it is this start's chat");
  await h.store.settled();
  t.equal(store.interactions.size, 1, 'one chat');
  t.same(h.center.openInteractions().map((rec) => rec.id), [started.interaction.id], 'it waits in the queue');
  t.equal((await h.center.authorizeCustomer(started.interaction.id, started.token)).id, started.interaction.id, 'and the token opens it');

  store.failNextSave = true;
  await t.rejects(h.center.startChat(newChat()), { name: 'WriteFailed' }, 'without a key, nothing finds it again: the failure is told');
});

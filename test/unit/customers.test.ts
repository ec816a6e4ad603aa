import t from 'tap';
import { FakeTelephony } from '../helpers/fake-media.ts';
import { expectDomainError, makeCenter, newChat, startChat } from '../helpers/fakes.ts';

t.test('a chat starts queued, is stored, and hands the customer a token', async (t) => {
  const h = await makeCenter();
  const { interaction, token } = await h.center.startChat(newChat({ customer: { name: 'Dana', phone: '+447911123456' } }));
  t.equal(interaction.state, 'queued');
  t.equal(interaction.serviceId, 'roadside');
  t.same(interaction.customer, { name: 'Dana', phone: '+447911123456' });
  t.equal(interaction.createdAt, h.clock.now());
  t.type(token, 'string');
  t.ok(token.length >= 32, 'the token is long enough not to be guessed');
  t.not(interaction.tokenHash, token, 'the token itself is not kept');
  await h.store.settled();
  const stored = h.store.interactions.get(interaction.id);
  t.equal(stored?.state, 'queued');
  t.notMatch(JSON.stringify(stored), token, 'the stored record does not hold the token');
  const second = await startChat(h);
  t.not(second.token, token, 'every chat has its own token');
  t.not(second.interaction.id, interaction.id);
});

t.test('a phone number that is not E.164 is invalid, and no chat is made', async (t) => {
  const h = await makeCenter();
  const bad = ['', '5551234567', '0015551234567', '+0123456789', '+1 555 123 4567', '+1-555-123-4567', '+12345', '+1234567890123456', '+1555123456x', 'tel:+15551234567'];
  for (const phone of bad) {
    await expectDomainError(
      t,
      h.center.startChat(newChat({ customer: { name: 'Dana', phone } })),
      'invalid',
      'invalid_phone',
      JSON.stringify(phone),
    );
  }
  await h.store.settled();
  t.equal(h.store.interactions.size, 0, 'nothing stored');
  t.same(h.center.openInteractions(), []);
});

t.test('E.164 numbers of every allowed length are accepted', async (t) => {
  const h = await makeCenter();
  for (const phone of ['+1234567', '+15551234567', '+447911123456', '+123456789012345']) {
    const { interaction } = await h.center.startChat(newChat({ customer: { name: 'Dana', phone } }));
    t.equal(interaction.customer.phone, phone, `${phone} accepted`);
  }
});

t.test('an unknown service is not_found', async (t) => {
  const h = await makeCenter();
  const err = await expectDomainError(t, h.center.startChat(newChat({ serviceId: 'plumbing' })), 'not_found', 'unknown_service');
  t.match(err?.message, 'plumbing');
  await expectDomainError(t, h.center.requireService('plumbing'), 'not_found', 'unknown_service');
  t.equal((await h.center.requireService('billing')).name, 'Billing');
  await h.store.settled();
  t.equal(h.store.interactions.size, 0);
});

t.test('authorizeCustomer: the token opens its own chat', async (t) => {
  const h = await makeCenter();
  const { interaction, token } = await startChat(h);
  const rec = await h.center.authorizeCustomer(interaction.id, token);
  t.equal(rec.id, interaction.id);
});

t.test('authorizeCustomer: a missing token is unauthorized', async (t) => {
  const h = await makeCenter();
  const { interaction } = await startChat(h);
  await expectDomainError(t, h.center.authorizeCustomer(interaction.id, undefined), 'unauthorized', 'missing_token');
  await expectDomainError(t, h.center.authorizeCustomer(interaction.id, ''), 'unauthorized', 'missing_token');
  await expectDomainError(t, h.center.authorizeCustomer('no-such-chat', undefined), 'unauthorized', 'missing_token', 'no token is checked before the id');
});

t.test("authorizeCustomer: another chat's token is forbidden", async (t) => {
  const h = await makeCenter();
  const mine = await startChat(h);
  const theirs = await startChat(h);
  await expectDomainError(t, h.center.authorizeCustomer(theirs.interaction.id, mine.token), 'forbidden', 'wrong_token');
  await expectDomainError(t, h.center.authorizeCustomer(mine.interaction.id, 'made-up-token'), 'forbidden', 'wrong_token');
});

t.test('authorizeCustomer: an unknown chat id is not_found', async (t) => {
  const h = await makeCenter();
  const { token } = await startChat(h);
  await expectDomainError(t, h.center.authorizeCustomer('00000000-0000-4000-8000-000000000000', token), 'not_found', 'chat_not_found');
});

t.test('authorizeCustomer: the token still opens the chat after it ended (to read it), and only that one', async (t) => {
  const h = await makeCenter();
  const { interaction, token } = await startChat(h);
  const other = await startChat(h);
  await h.center.endByCustomer(interaction.id);
  await h.center.endByCustomer(other.interaction.id);
  await h.store.settled();
  t.equal((await h.center.authorizeCustomer(interaction.id, token)).state, 'ended');
  await expectDomainError(t, h.center.authorizeCustomer(other.interaction.id, token), 'forbidden', 'wrong_token');
});

t.test('authorizeCustomer: an ended chat is read for endedChatAccessMs, then its token is refused (401); it never gets a phone', async (t) => {
  const h = await makeCenter({ config: { endedChatAccessMs: 60_000 }, telephony: new FakeTelephony() });
  const { interaction, token } = await startChat(h);
  t.equal((await h.center.authorizeCustomer(interaction.id, token, 'use_phone')).id, interaction.id, 'an open chat may use its phone');
  await h.center.endByCustomer(interaction.id);
  await h.store.settled();
  await expectDomainError(t, h.center.authorizeCustomer(interaction.id, token, 'use_phone'), 'conflict', 'chat_ended', 'no phone once ended');
  h.clock.advance(60_000);
  t.equal((await h.center.authorizeCustomer(interaction.id, token)).state, 'ended', 'still read at the limit');
  h.clock.advance(1);
  await expectDomainError(t, h.center.authorizeCustomer(interaction.id, token), 'unauthorized', 'token_expired', 'refused past it');
  await expectDomainError(t, h.center.authorizeCustomer(interaction.id, 'made-up-token'), 'forbidden', 'wrong_token', 'a wrong token is still told apart from an expired one');
});

t.test('authorizeCustomer works for a chat only the store knows (after a restart)', async (t) => {
  const first = await makeCenter();
  const { interaction, token } = await startChat(first);
  await first.center.endByCustomer(interaction.id);
  await first.store.settled();
  const second = await makeCenter({ store: first.store });
  t.equal((await second.center.authorizeCustomer(interaction.id, token)).id, interaction.id);
  await expectDomainError(t, second.center.authorizeCustomer(interaction.id, 'wrong'), 'forbidden', 'wrong_token');
});

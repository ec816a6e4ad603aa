// An agent's reply carries the client id its composer was rendered with, so a send repeated on the way
// (a browser resending a POST whose answer was lost, Send clicked again after a 503) is stored once.
import t from 'tap';
import { activeChat, expectDomainError, makeCenter } from '../helpers/fakes.ts';

t.test('a reply sent again with its client id gets the first entry back, stored once', async (t) => {
  const h = await makeCenter();
  const { interaction } = await activeChat(h, 'alice');
  const first = await h.center.postAgentMessage('alice', interaction.id, 'On my way', 'composer-1');
  const again = await h.center.postAgentMessage('alice', interaction.id, 'On my way', 'composer-1');
  t.equal(again.id, first.id, 'the repeat is the first reply');
  const next = await h.center.postAgentMessage('alice', interaction.id, 'On my way', 'composer-2');
  t.not(next.id, first.id, 'the next message written (a new client id) is a new reply');
  const plain = await h.center.postAgentMessage('alice', interaction.id, 'On my way');
  t.not(plain.id, next.id, 'without a client id every send is a reply, as before');
  await h.store.settled();
  t.equal(h.store.entriesOf(interaction.id).filter((e) => e.text === 'On my way').length, 3);
});

t.test("a client id answers only to whoever sent its entry", async (t) => {
  const h = await makeCenter();
  const { interaction } = await activeChat(h, 'alice');
  await h.center.postCustomerMessage(interaction.id, 'Flat tyre', 'shared-1');
  await expectDomainError(t, h.center.postAgentMessage('alice', interaction.id, 'Hi', 'shared-1'), 'conflict', 'client_id_taken');
  await h.center.postAgentMessage('alice', interaction.id, 'On my way', 'shared-2');
  await expectDomainError(t, h.center.postCustomerMessage(interaction.id, 'Thanks', 'shared-2'), 'conflict', 'client_id_taken');
  await h.store.settled();
  t.same(h.store.entriesOf(interaction.id).filter((e) => e.kind === 'message').map((e) => e.text), ['Flat tyre', 'On my way'], 'nothing else stored');
});

// Its length is capped at the edges (the desktop form, the API's schemas): the SMS desk's own ids are longer.
t.test('a client id that is empty or holds NUL is refused and nothing is stored', async (t) => {
  const h = await makeCenter();
  const { interaction } = await activeChat(h, 'alice');
  await expectDomainError(t, h.center.postAgentMessage('alice', interaction.id, 'Hi', ''), 'invalid', 'invalid_client_id');
  await expectDomainError(t, h.center.postAgentMessage('alice', interaction.id, 'Hi', 'x\u0000y'), 'invalid', 'nul_character');
  await h.store.settled();
  t.same(h.store.entriesOf(interaction.id).filter((e) => e.kind === 'message'), []);
});

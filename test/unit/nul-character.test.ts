// U+0000 in what people type: PostgreSQL cannot store it (a 500 there) where SQLite did, so the rules
// refuse it, with the same answer whichever store runs, and nothing is kept.
import t from 'tap';
import { checkRating } from '../../src/domain/rating.ts';
import { activeChat, expectDomainError, makeCenter, newChat } from '../helpers/fakes.ts';

const NUL = 'a\u0000b';

t.test("a message with U+0000 is refused (invalid, nul_character), the customer's and the agent's", async (t) => {
  const h = await makeCenter();
  const { interaction } = await activeChat(h, 'alice');
  await h.store.settled();
  const before = h.store.entriesOf(interaction.id).length;
  await expectDomainError(t, h.center.postCustomerMessage(interaction.id, NUL), 'invalid', 'nul_character', 'customer');
  await expectDomainError(t, h.center.postCustomerMessage(interaction.id, NUL, 'send-1'), 'invalid', 'nul_character', 'customer, with a client id');
  await expectDomainError(t, h.center.postCustomerMessage(interaction.id, 'fine', `send${NUL}`), 'invalid', 'nul_character', 'a client id with it');
  await expectDomainError(t, h.center.postAgentMessage('alice', interaction.id, NUL), 'invalid', 'nul_character', 'agent');
  await h.store.settled();
  t.equal(h.store.entriesOf(interaction.id).length, before, 'nothing stored');
  const ok = await h.center.postCustomerMessage(interaction.id, 'a\u0001b and ✓', 'send-1');
  t.equal(ok.seq, before + 1, 'other characters are kept, at the next seq');
});

t.test("a customer's name or context with U+0000 is refused: no chat is made, no context changed", async (t) => {
  const h = await makeCenter();
  await expectDomainError(t, h.center.startChat(newChat({ customer: { name: `Bob${NUL}`, phone: '+15551230001' } })), 'invalid', 'nul_character', 'name');
  await expectDomainError(t, h.center.startChat(newChat({ context: { fields: { [`plate${NUL}`]: 'X1' } } })), 'invalid', 'nul_character', 'context key');
  await expectDomainError(t, h.center.startChat(newChat({ context: { fields: { plate: NUL } } })), 'invalid', 'nul_character', 'context value');
  await h.store.settled();
  t.equal(h.store.interactions.size, 0, 'no chat made');

  const { interaction } = await h.center.startChat(newChat({ context: { fields: { plate: 'X1' } } }));
  await expectDomainError(t, h.center.updateContext(interaction.id, { fields: { plate: NUL } }), 'invalid', 'nul_character', 'context update');
  await h.store.settled();
  t.same(interaction.context.fields, { plate: 'X1' }, 'the context is as it was');
  t.same(h.store.entriesOf(interaction.id).filter((e) => e.kind === 'context'), [], 'no context entry');
});

t.test("a rating's comment with U+0000 is refused", async (t) => {
  await expectDomainError(t, () => checkRating(5, NUL), 'invalid', 'nul_character');
  t.same(checkRating(5, ' thanks '), { score: 5, comment: 'thanks' });
});

import t from 'tap';
import { ClientIdIndex, hash30 } from '../../src/store/sqlite/client-id-index.ts';

t.test('every remembered id of a chat is found with its seq, across the table growing many times', async (t) => {
  const stored = [{ seq: 1, clientId: 'loaded-before' }];
  const index = new ClientIdIndex(() => stored);
  t.equal(index.candidate('chat-1', 'loaded-before'), 1, 'ids stored before are read back on first use');
  for (let seq = 2; seq <= 20_000; seq++) index.remember('chat-1', `msg-${seq}`, seq);
  let found = 0;
  for (let seq = 2; seq <= 20_000; seq++) if (index.candidate('chat-1', `msg-${seq}`) === seq) found++;
  t.equal(found, 19_999, 'each id points at its own message');
  let strangers = 0;
  for (let i = 0; i < 20_000; i++) if (index.candidate('chat-1', `never-sent-${i}`) !== undefined) strangers++;
  t.ok(strangers < 5, `ids never sent are (almost) never candidates (${strangers} of 20,000 share a hash)`);
  t.equal(index.candidate('chat-2', 'msg-2'), undefined, "another chat's ids are not this chat's");
});

t.test('two ids with one hash: the first message keeps the slot, and forget drops the chat', async (t) => {
  const [first, second] = ['retry-270398', 'retry-818116'];
  t.equal(hash30(first), hash30(second), 'the premise: these two ids share a 30-bit hash');
  let loads = 0;
  const index = new ClientIdIndex(() => (loads++, []));
  t.equal(index.candidate('chat-1', first), undefined);
  index.remember('chat-1', first, 7);
  index.remember('chat-1', second, 9);
  t.equal(index.candidate('chat-1', second), 7, 'the candidate is the first message; the store compares its id');
  index.forget('chat-1');
  t.equal(index.candidate('chat-1', first), undefined, 'a forgotten chat is read back from the store');
  t.equal(loads, 2);
});

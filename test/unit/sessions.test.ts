// Agent sessions in memory: an expired one ends like any other, so what it holds open (its pages'
// sockets, told through onEnded) closes with it.
import t from 'tap';
import { SessionRegistry } from '../../src/web/sessions.ts';

t.test('an expired session ends: its listeners hear of it when it is found expired, or purged at the next login', async (t) => {
  const sessions = new SessionRegistry(1);
  const ended: string[] = [];
  sessions.onEnded((s) => ended.push(s.agentId));
  const alice = await sessions.create('alice');
  await sessions.create('bob');
  await new Promise((resolve) => setTimeout(resolve, 5));
  t.equal(sessions.get(alice.id), undefined, "Alice's session has expired");
  t.same(ended, ['alice'], 'and what it held open is told so');
  await sessions.create('carol');
  t.same(ended, ['alice', 'bob'], "Bob's, purged at the next login, too");
  t.equal(sessions.endedElsewhere('bob'), 0, 'nothing of it is left to end later');
});

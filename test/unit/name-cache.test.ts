// The desktop's names of agents and services: read once, kept a minute, then read again, so an admin's
// rename reaches every node's pages within the minute without a read per rendered message.
import t from 'tap';
import { NameCache } from '../../src/web/desktop/name-cache.ts';

t.test('a name is read once, kept for a minute, then read again (a rename shows)', async (t) => {
  let now = 0;
  let stored = 'Agent One';
  let reads = 0;
  const names = new NameCache({ now: () => now });
  const load = async () => (reads++, stored);
  t.equal(names.get('agent:agent1'), undefined, 'nothing before the first read');
  t.equal(await names.read('agent:agent1', load), 'Agent One');
  stored = 'Agent Uno';
  now = 59_999;
  t.equal(await names.read('agent:agent1', load), 'Agent One', 'kept within the minute');
  t.equal(names.get('agent:agent1'), 'Agent One');
  t.equal(reads, 1, 'one read');
  now = 60_000;
  t.equal(names.get('agent:agent1'), undefined, 'a minute old: to be read again');
  t.equal(names.last('agent:agent1'), 'Agent One', 'but still there to show meanwhile');
  t.equal(await names.read('agent:agent1', load), 'Agent Uno', 'the new name');
  t.equal(reads, 2);
});

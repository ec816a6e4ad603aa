import t from 'tap';
import { ManualClock } from '../helpers/fake-ports.ts';

// The fake clock the routing tests rely on: time moves only on advance(), timers fire in due order,
// exactly at their due time, never after being cancelled.
t.test('timers fire in due order as the clock passes them, with the clock at their due time', async (t) => {
  const clock = new ManualClock(1000);
  const fired: Array<[string, number]> = [];
  clock.schedule(300, () => fired.push(['c', clock.now()]));
  clock.schedule(100, () => fired.push(['a', clock.now()]));
  clock.schedule(100, () => fired.push(['b', clock.now()]));
  clock.advance(99);
  t.same(fired, [], 'nothing before its time');
  clock.advance(1);
  t.same(fired, [['a', 1100], ['b', 1100]], 'due exactly now: fired, in scheduling order');
  clock.advance(1000);
  t.same(fired.at(-1), ['c', 1300]);
  t.equal(clock.now(), 2100);
  t.equal(clock.pendingTimers, 0);
});

t.test('a cancelled timer never fires; a timer scheduled by a timer fires in the same advance', async (t) => {
  const clock = new ManualClock(0);
  const fired: string[] = [];
  clock.schedule(10, () => fired.push('cancelled')).cancel();
  clock.schedule(10, () => {
    fired.push('first');
    clock.schedule(5, () => fired.push('chained'));
  });
  clock.advance(20);
  t.same(fired, ['first', 'chained']);
});

// One interaction's timeline to one socket: in seq order, with no gap and no duplicate, whether entries
// come live or are read back, and whatever point the page asks to go on from.
import t from 'tap';
import type { TimelineEntry } from '../../src/domain/timeline.ts';
import { TimelineFeed } from '../../src/web/timeline-feed.ts';

const entry = (seq: number) => ({ seq, id: `e${seq}` }) as TimelineEntry;
const upTo = (n: number) => Array.from({ length: n }, (_, i) => entry(i + 1));

t.test('a page that asks to go on from further back while a read is on its way gets what it lacks', async (t) => {
  const stored = upTo(15);
  const sent: number[] = [];
  const reads: Array<() => void> = [];
  const feed = new TimelineFeed({
    afterSeq: 10,
    // Each read answers when the test lets it.
    read: (after) => new Promise((resolve) => reads.push(() => resolve(stored.filter((e) => e.seq > after)))),
    send: (entries) => sent.push(...entries.map((e) => e.seq)),
    onError: (err) => t.fail(String(err)),
  });
  feed.sync(); // reads after 10
  feed.restartAfter(5); // the panel was redrawn showing only up to 5
  reads.shift()!();
  await new Promise((resolve) => setImmediate(resolve));
  reads.shift()!();
  await new Promise((resolve) => setImmediate(resolve));
  t.same(sent, [6, 7, 8, 9, 10, 11, 12, 13, 14, 15], 'from 6 on, in order, none missing, none twice');
  t.equal(feed.lastSent, 15);
});

t.test('live entries go out at once in order; one that skips ahead makes a read of what is between', async (t) => {
  const stored = upTo(3);
  const sent: number[] = [];
  const feed = new TimelineFeed({ afterSeq: 0, read: async (after) => stored.filter((e) => e.seq > after), send: (entries) => sent.push(...entries.map((e) => e.seq)), onError: (err) => t.fail(String(err)) });
  feed.push(entry(1));
  feed.push(entry(1));
  feed.push(entry(3));
  await new Promise((resolve) => setImmediate(resolve));
  t.same(sent, [1, 2, 3]);
});

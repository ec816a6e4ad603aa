// The floor's live updates: a burst of changes makes one render, sent to every open floor page; events
// that change no line of the floor make none; with no page open nothing is rendered at all.
import t from 'tap';
import { DomainEvents, type DomainEvent } from '../../src/domain/events.ts';
import { EventHub } from '../../src/web/event-hub.ts';
import { FloorFeed } from '../../src/web/supervisor/floor-feed.ts';
import { sleep } from '../helpers/eventually.ts';
import { interactionRecord } from '../helpers/fakes.ts';

const changed = (id: string): DomainEvent => ({ type: 'interaction_changed', interaction: interactionRecord({ id }), previousOfferedTo: null });
const message = (id: string): DomainEvent => ({
  type: 'entry_appended',
  interaction: interactionRecord({ id }),
  entry: { id: `${id}-m`, interactionId: id, seq: 1, kind: 'message', author: 'customer', agentId: null, text: 'hi', clientId: null, attachment: null, data: null, createdAt: 0 },
});

t.test('a burst makes one render for all pages; messages none; no page, no render', async (t) => {
  const events = new DomainEvents((err) => t.fail(String(err)));
  let renders = 0;
  const feed = new FloorFeed({ hub: new EventHub(events), render: async () => `floor ${++renders}`, onError: (err) => t.fail(String(err)), intervalMs: 20 });
  const first: string[] = [];
  const second: string[] = [];
  const leaveFirst = feed.join((f) => first.push(f));
  const leaveSecond = feed.join((f) => second.push(f));

  for (let i = 0; i < 100; i++) events.emit(changed(`chat-${i}`));
  for (let i = 0; i < 100; i++) events.emit({ type: 'presence_changed', agent: { agentId: 'a', serviceIds: [], presence: 'ready', idleSince: 0, interactions: new Set(), pendingOffer: null } });
  await sleep(100);
  t.equal(renders, 1, '200 changes, one render');
  t.same(first, ['floor 1']);
  t.same(second, ['floor 1'], 'the same frame to each page');

  for (let i = 0; i < 50; i++) events.emit(message('chat-1'));
  await sleep(100);
  t.equal(renders, 1, 'messages change no line of the floor');

  leaveFirst();
  leaveSecond();
  events.emit(changed('chat-x'));
  await sleep(100);
  t.equal(renders, 1, 'nobody watching: nothing rendered');
});

t.test('a change during a slow render renders again after it: frames go out in order, the newest last', async (t) => {
  const events = new DomainEvents((err) => t.fail(String(err)));
  let renders = 0;
  let slowDone = () => {};
  const render = async () => {
    const n = ++renders;
    if (n === 1) await new Promise<void>((resolve) => (slowDone = resolve));
    return `floor ${n}`;
  };
  const feed = new FloorFeed({ hub: new EventHub(events), render, onError: (err) => t.fail(String(err)), intervalMs: 20 });
  const frames: string[] = [];
  const leave = feed.join((f) => frames.push(f));
  events.emit(changed('a'));
  await sleep(60);
  t.equal(renders, 1, 'the first render is on its way');
  events.emit(changed('b'));
  await sleep(60);
  t.equal(renders, 1, 'no second render alongside the first');
  slowDone();
  await sleep(60);
  t.same(frames, ['floor 1', 'floor 2'], 'the change made meanwhile is rendered after, and sent last');
  leave();
});

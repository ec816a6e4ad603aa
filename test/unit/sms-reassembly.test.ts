import t from 'tap';
import { gapMarker, lateMarker, MARKER_PATTERN, SMS_CAPS, SmsReassembler, type AssembledSms, type SmsPart } from '../../src/domain/sms-reassembly.ts';
import { ManualClock } from '../helpers/fake-ports.ts';

const WAIT = 30_000;

function harness(opts: { rememberMs?: number } = {}) {
  const clock = new ManualClock();
  const expired: AssembledSms[] = [];
  const r = new SmsReassembler({ clock, timers: clock, waitMs: WAIT, onExpired: (m) => expired.push(m), ...opts });
  let n = 0;
  const part = (part: number, text: string, over: Partial<SmsPart> = {}): SmsPart => ({
    id: `p${++n}`,
    from: '+15551230001',
    to: '+15550009000',
    ref: 7,
    total: 3,
    part,
    text,
    receivedAt: clock.now(),
    ...over,
  });
  return { clock, expired, r, part };
}

t.test('parts in order make the whole text', async (t) => {
  const { r, part } = harness();
  t.same(r.add(part(1, 'Hello ')), { kind: 'pending' });
  t.same(r.add(part(2, 'dear ')), { kind: 'pending' });
  const done = r.add(part(3, 'world'));
  if (done.kind !== 'complete') throw new Error(`expected complete, got ${done.kind}`);
  t.equal(done.message.text, 'Hello dear world');
  t.same(done.message.missing, []);
  t.same(done.message.parts.map((p) => p.id), ['p1', 'p2', 'p3']);
  t.equal(done.message.firstId, 'p1');
  t.equal(r.pendingGroups, 0);
});

t.test('out of order and twice: put back in order, repeats ignored', async (t) => {
  const { r, part } = harness();
  t.same(r.add(part(3, 'C')), { kind: 'pending' });
  t.same(r.add(part(1, 'A')), { kind: 'pending' });
  t.equal(r.classify(part(1, 'A')), 'duplicate');
  t.same(r.add(part(1, 'A')), { kind: 'duplicate' }, 'the same part again');
  t.same(r.add(part(3, 'C')), { kind: 'duplicate' });
  const done = r.add(part(2, 'B'));
  t.equal(done.kind, 'complete');
  t.equal(done.kind === 'complete' && done.message.text, 'ABC');
  t.equal(done.kind === 'complete' && done.message.firstId, 'p1', 'named after the part that came first');
  t.same(r.add(part(2, 'B')), { kind: 'duplicate' }, 'a repeat after completion is still a repeat');
});

t.test('parts are grouped by sender, receiving number, reference and total', async (t) => {
  const { r, part } = harness();
  r.add(part(1, 'x1', { ref: 1 }));
  r.add(part(1, 'y1', { ref: 2 }));
  r.add(part(1, 'z1', { from: '+15551230002', ref: 1 }));
  r.add(part(1, 'w1', { ref: 1, total: 2 }));
  r.add(part(1, 'v1', { ref: 1, to: '+15550009001' }));
  t.equal(r.pendingGroups, 5);
  const done = r.add(part(2, 'w2', { ref: 1, total: 2 }));
  t.equal(done.kind === 'complete' && done.message.text, 'w1w2');
  t.equal(r.pendingGroups, 4);
});

t.test('a missing part: after the wait the text is given with a visible gap', async (t) => {
  const { clock, expired, r, part } = harness();
  r.add(part(1, 'Car broke down'));
  clock.advance(20_000);
  r.add(part(3, 'near exit 12.'));
  clock.advance(9_999);
  t.equal(expired.length, 0, 'the wait counts from the first part');
  clock.advance(1);
  t.equal(expired.length, 1);
  t.equal(expired[0]!.text, `Car broke down ${gapMarker(2, 3)} near exit 12.`);
  t.equal(gapMarker(2, 3), '[…missing part 2 of 3…]');
  t.same(expired[0]!.missing, [2]);
  t.equal(r.pendingGroups, 0);

  t.equal(r.classify(part(2, ' on the highway ')), 'late');
  const late = r.add(part(2, 'on the highway'));
  t.equal(late.kind, 'late');
  t.equal(late.kind === 'late' && late.message.text, `${lateMarker(2, 3)} on the highway`);
  t.same(r.add(part(2, 'on the highway')), { kind: 'duplicate' }, 'the late part only once');
  t.same(r.add(part(1, 'Car broke down')), { kind: 'duplicate' });
});

t.test('gaps at the start and the end; missing parts side by side share one marker', async (t) => {
  const { clock, expired, r, part } = harness();
  r.add(part(3, 'three', { total: 6 }));
  r.add(part(5, 'five', { total: 6 }));
  clock.advance(WAIT);
  t.equal(expired[0]!.text, `${gapMarker(1, 6, 2)} three ${gapMarker(4, 6)} five ${gapMarker(6, 6)}`);
  t.equal(gapMarker(1, 6, 2), '[…missing parts 1–2 of 6…]');
  t.same(expired[0]!.missing, [1, 2, 4, 6]);
  t.same([...expired[0]!.text.matchAll(MARKER_PATTERN)].map((m) => m[0]), ['[…missing parts 1–2 of 6…]', '[…missing part 4 of 6…]', '[…missing part 6 of 6…]'], 'each marker is found for display');
});

t.test('one part of 255 is one short text, not 254 markers', async (t) => {
  const { clock, expired, r, part } = harness();
  r.add(part(1, 'x', { total: 255 }));
  clock.advance(WAIT);
  t.equal(expired[0]!.text, 'x […missing parts 2–255 of 255…]');
});

t.test('a sender with many texts waiting: at the cap the oldest is given at once, with its gaps', async (t) => {
  const { expired, r, part } = harness();
  for (let ref = 0; ref < 10; ref++) r.add(part(1, `text ${ref}`, { ref }));
  r.add(part(1, 'other sender', { from: '+15551230002' }));
  t.equal(r.pendingGroups, 11);
  t.equal(expired.length, 0, 'ten per sender may wait');
  r.add(part(1, 'text 10', { ref: 10 }));
  t.equal(r.pendingGroups, 11, 'the sender still has ten waiting');
  t.same(expired.map((m) => m.text), [`text 0 ${gapMarker(2, 3, 3)}`], "the sender's oldest, not the other sender's");
  r.add(part(2, 'more', { ref: 5 }));
  t.equal(expired.length, 1, 'a part of a text already waiting takes no room');
  t.equal(r.classify(part(2, 'late', { ref: 0 })), 'late', 'a part of the text given early comes as late');
});

t.test('a flood from many senders: no more than the cap waits, nor is remembered', async (t) => {
  const { clock, expired, r, part } = harness();
  const caps = { waitingPerSender: 10, waiting: 1_000, remembered: 5_000 };
  t.same(SMS_CAPS, caps);
  for (let i = 0; i < 7_000; i++) r.add(part(1, 'x', { from: `+1555${String(1_000_000 + (i % 3_000)).slice(-7)}`, ref: i, total: 255 }));
  t.equal(r.pendingGroups, 1_000);
  t.equal(expired.length, 6_000, 'the oldest went out early');
  t.ok(expired.every((m) => m.text === 'x […missing parts 2–255 of 255…]'));
  t.ok(clock.pendingTimers <= 1_000 + 5_000, 'timers are capped with what they watch');
  t.equal(r.classify(part(1, 'x', { from: '+15551000000', ref: 0, total: 255 })), 'new', 'the oldest finished text is forgotten');
  t.equal(r.classify(part(1, 'x', { from: `+1555${String(1_000_000 + 5_999 % 3_000).slice(-7)}`, ref: 5_999, total: 255 })), 'duplicate', 'a recent one is remembered');
});

t.test('a restored part keeps its arrival time: the wait is not restarted', async (t) => {
  const { clock, expired, r, part } = harness();
  r.add(part(1, 'A', { receivedAt: clock.now() - 25_000 }));
  clock.advance(4_999);
  t.equal(expired.length, 0);
  clock.advance(1);
  t.equal(expired.length, 1, 'expired 30 s after it first arrived');
  const r2 = harness();
  r2.r.add(r2.part(1, 'A', { receivedAt: r2.clock.now() - 60_000 }));
  r2.clock.advance(0);
  t.equal(r2.expired.length, 1, 'a wait that ran out while down ends at once');
});

t.test('a finished group is forgotten after a while: the reference can be used again', async (t) => {
  const { clock, r, part } = harness({ rememberMs: 60_000 });
  r.add(part(1, 'a', { total: 2 }));
  r.add(part(2, 'b', { total: 2 }));
  t.equal(r.classify(part(1, 'a', { total: 2 })), 'duplicate');
  clock.advance(60_000);
  t.equal(r.classify(part(1, 'new', { total: 2 })), 'new');
});

t.test('a part number outside 1..total is refused; shutdown cancels every timer', async (t) => {
  const { clock, r, part } = harness();
  t.throws(() => r.add(part(4, 'x')), RangeError);
  t.throws(() => r.add(part(0, 'x')), RangeError);
  r.add(part(1, 'x'));
  t.ok(clock.pendingTimers > 0);
  r.shutdown();
  t.equal(clock.pendingTimers, 0);
  t.equal(r.pendingGroups, 0);
});

t.test('the same reference again with another text is a new text, not a repeat (the counter came round)', async (t) => {
  const { clock, expired, r, part } = harness();
  r.add(part(1, 'My car broke down ', { total: 2 }));
  const first = r.add(part(2, 'on the A1.', { total: 2 }));
  t.equal(first.kind === 'complete' && first.message.text, 'My car broke down on the A1.');
  t.same(r.add(part(2, 'on the A1.', { total: 2 })), { kind: 'duplicate' }, 'a repeat of a part is still a repeat');
  const second = [r.add(part(2, 'is here now.', { total: 2 })), r.add(part(1, 'The tow truck ', { total: 2 }))];
  t.same(second[0], { kind: 'pending' }, 'a new text with the same reference waits for its other part');
  t.equal(second[1]!.kind === 'complete' && second[1]!.message.text, 'The tow truck is here now.', 'and is given whole');
  t.same(r.add(part(1, 'My car broke down ', { total: 2 })), { kind: 'duplicate' }, 'a late repeat of the first text is still a repeat');
  t.same(r.add(part(1, 'Thanks ', { total: 3 })), { kind: 'pending' });
  clock.advance(WAIT);
  t.same(expired.map((m) => m.text), ['Thanks […missing parts 2–3 of 3…]']);
});

t.test("a new text whose part number was a gap of the last one's joins its own text, not shown as late", async (t) => {
  const { clock, expired, r, part } = harness();
  r.add(part(1, 'A', { total: 2 }));
  clock.advance(WAIT);
  t.same(expired.map((m) => m.text), ['A […missing part 2 of 2…]'], 'its part 2 never came');
  t.same(r.add(part(1, 'Other ', { total: 2 })), { kind: 'pending' });
  const done = r.add(part(2, 'text', { total: 2 }));
  t.equal(done.kind === 'complete' && done.message.text, 'Other text');
});

t.test('a repeat of the last text arriving while a new text with its reference waits is still a repeat', async (t) => {
  const { r, part } = harness();
  r.add(part(1, 'My car broke down ', { total: 2 }));
  r.add(part(2, 'on the A1.', { total: 2 }));
  t.same(r.add(part(2, 'is here now.', { total: 2 })), { kind: 'pending' }, 'a new text with the same reference');
  t.same(r.add(part(1, 'My car broke down ', { total: 2 })), { kind: 'duplicate' }, 'the old first part again: not joined to the new text');
  const done = r.add(part(1, 'The tow truck ', { total: 2 }));
  t.equal(done.kind === 'complete' && done.message.text, 'The tow truck is here now.');
});

t.test('a text given again leaves another text waiting with the same reference alone', async (t) => {
  const { clock, expired, r, part } = harness();
  const old = part(1, 'Flat tyre ', { total: 2 });
  r.add(old);
  clock.advance(WAIT);
  t.equal(expired.length, 1, 'the old text was given with its gap');
  t.same(r.add(part(1, 'Second ', { total: 2 })), { kind: 'pending' }, 'a new text with the same reference waits');
  t.equal(r.again([old]).text, `Flat tyre ${gapMarker(2, 2)}`, 'the old text put together again');
  t.equal(r.pendingGroups, 1, 'the new text still waits');
  const done = r.add(part(2, 'text', { total: 2 }));
  t.equal(done.kind === 'complete' && done.message.text, 'Second text');
});

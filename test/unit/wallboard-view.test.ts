// A service's wallboard line as the page shows it: figures formatted, no figure shown as a dash, and
// the chart's bars scaled to the busiest hour, described in words for screen readers.
import t from 'tap';
import type { ServiceFigures } from '../../src/domain/floor-stats.ts';
import { wallboardView } from '../../src/web/supervisor/wallboard-view.ts';

const HOUR = 3_600_000;
const START = new Date(2026, 4, 12, 5, 0, 0, 0).getTime();
const figures = (over: Partial<ServiceFigures> = {}): ServiceFigures => ({
  serviceId: 'roadside', waiting: 2, longestWaitMs: 75_000, agents: { ready: 3, not_ready: 1, wrap_up: 0, logged_out: 2 }, chatsHandled: 12, callsHandled: 4, targetSeconds: 20,
  serviceLevel: 0.8333, decided: 12, averageHandleMs: 245_000,
  hours: [{ start: START, hour: 5, arrived: 4, handled: 2 }, { start: START + HOUR, hour: 6, arrived: 0, handled: 1 }], ...over,
});

t.test('figures as read on the wallboard', async (t) => {
  const now = START + 2 * HOUR;
  const v = wallboardView(figures(), 'Roadside Assistance', now);
  t.match(v, { serviceName: 'Roadside Assistance', waiting: 2, longestWait: '1:15', longestWaitSince: now - 75_000, ready: 3, notReady: 1, loggedOut: 2, serviceLevel: '83 %', averageHandle: '4:05' });
  const none = wallboardView(figures({ longestWaitMs: null, serviceLevel: null, averageHandleMs: null }), 'Roadside Assistance', now);
  t.match(none, { longestWait: '—', longestWaitSince: null, serviceLevel: '—', averageHandle: '—' }, 'no figure yet: a dash, not a zero');
});

t.test('the chart: two bars an hour, the busiest hour full height, an empty hour flat, and its words', async (t) => {
  const { chart } = wallboardView(figures(), 'Roadside Assistance', START);
  t.equal(chart.bars.length, 4);
  const [arrived, handled, arrivedNext] = chart.bars;
  t.equal(arrived!.height, chart.height - chart.top - chart.bottom, 'the busiest bar fills the plot');
  t.equal(handled!.height * 2, arrived!.height, 'half as many, half as high');
  t.equal(arrivedNext!.height, 0, 'none: no bar');
  t.ok(chart.bars.every((b) => b.y + b.height === chart.height - chart.bottom), 'every bar stands on the axis');
  t.equal(chart.summary, 'Chats per hour, last 2 hours: 05:00 4 arrived, 2 handled; 06:00 0 arrived, 1 handled');
});

t.test("a follower whose clock is behind the leader's shows a wait of 0:00, never a negative one", async (t) => {
  const v = wallboardView(figures({ longestWaitMs: -4_000 }), 'Roadside Assistance', START);
  t.equal(v.longestWait, '0:00');
});

t.test('rounded as a supervisor reads it: 100 % (0 %) only when every (no) chat was within the target, a wait in whole seconds gone, a quiet hour seen', async (t) => {
  const at = (over: Partial<ServiceFigures>) => wallboardView(figures(over), 'Roadside Assistance', START);
  t.equal(at({ serviceLevel: 199 / 200 }).serviceLevel, '99 %', 'one missed of 200 is not 100 %');
  t.equal(at({ serviceLevel: 1 }).serviceLevel, '100 %');
  t.equal(at({ serviceLevel: 1 / 201 }).serviceLevel, '1 %', 'one within the target of 201 is not 0 %');
  t.equal(at({ serviceLevel: 0 }).serviceLevel, '0 %');
  t.equal(at({ longestWaitMs: 59_600 }).longestWait, '0:59', "as the page's timer goes on from it: never a second back");
  const { chart } = at({ hours: [{ start: START, hour: 5, arrived: 100, handled: 0 }, { start: START + HOUR, hour: 6, arrived: 1, handled: 0 }] });
  t.ok(chart.bars[2]!.height >= 1, 'an hour with one chat has a bar beside one with a hundred');
  t.equal(chart.bars[1]!.height, 0, 'an hour with none has none');
});

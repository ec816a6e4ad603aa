import t from 'tap';
import { reportRange, reportRow } from '../../src/domain/interaction-report.ts';
import { csvCell, toCsv } from '../../src/web/admin/csv.ts';
import { expectDomainError, interactionRecord } from '../helpers/fakes.ts';

const T = Date.UTC(2026, 4, 12, 10, 0, 0);
const leg = (answeredAt: number | null, endedAt: number) => ({
  id: `leg-${endedAt}`, interactionId: 'i-1', serviceId: 'roadside', agentId: 'alice', customerNumber: '+15551234567',
  state: 'released' as const, mute: 'unmuted' as const, startedAt: T, answeredAt, endedAt, cause: null,
});

t.test('a row: every agent once, each medium\'s duration (answered calls summed), disposition and rating', async (t) => {
  const interaction = interactionRecord({
    state: 'ended', agentId: 'alice', createdAt: T, acceptedAt: T + 10_000, endedAt: T + 310_000,
    callLegs: [leg(T + 20_000, T + 80_000), leg(null, T + 90_000), leg(T + 100_000, T + 130_000)],
    video: { id: 'v', interactionId: 'i-1', state: 'closed', requestedAt: T, startedAt: T + 140_000, endedAt: T + 200_000, endedBy: 'customer' },
  });
  const row = reportRow({ interaction, wrapUp: { interactionId: 'i-1', agentId: 'alice', disposition: 'Resolved', notes: '', doneAt: T }, rating: { interactionId: 'i-1', serviceId: 'roadside', score: 4, comment: 'ok', ratedAt: T } });
  t.match(row, { agentIds: ['alice'], chatMs: 300_000, callMs: 90_000, videoMs: 60_000, disposition: 'Resolved', notes: null, rating: 4, ratingComment: 'ok' });
  const bare = reportRow({ interaction: interactionRecord({ state: 'ended', endedAt: T }), wrapUp: null, rating: null });
  t.match(bare, { agentIds: [], chatMs: null, callMs: null, videoMs: null, disposition: null, rating: null }, 'never accepted: no durations');
  const transferred = reportRow({ interaction: interactionRecord({ state: 'ended', agentId: 'bob', endedAt: T }), wrapUp: null, rating: null, workedBy: ['alice', 'bob'] });
  t.same(transferred.agentIds, ['alice', 'bob'], 'a transferred interaction: the first agent too, in order');
});

t.test('the date range: whole UTC days, both ends included; blank is the last seven days; bad dates refused', async (t) => {
  t.same(reportRange('2026-05-01', '2026-05-12', T), { from: Date.UTC(2026, 4, 1), to: Date.UTC(2026, 4, 13), fromDay: '2026-05-01', toDay: '2026-05-12' });
  t.match(reportRange('', '', T), { from: Date.UTC(2026, 4, 6), to: Date.UTC(2026, 4, 13) });
  await expectDomainError(t, () => reportRange('2026-02-30', '', T), 'invalid', 'invalid_date');
  await expectDomainError(t, () => reportRange('yesterday', '', T), 'invalid', 'invalid_date');
  await expectDomainError(t, () => reportRange('2026-05-12', '2026-05-01', T), 'invalid', 'invalid_range');
});

t.test('CSV: quoting as RFC 4180, and no cell a spreadsheet would run as a formula', async (t) => {
  t.equal(csvCell('plain'), 'plain');
  t.equal(csvCell('a, "b"'), '"a, ""b"""');
  t.equal(csvCell('two\nlines'), '"two\nlines"');
  // Split on ; by a spreadsheet in a locale that separates with it, its second part would be a formula.
  t.equal(csvCell("ok;=2+3*cmd|' /C calc'!A0"), `"ok;=2+3*cmd|' /C calc'!A0"`, 'a semicolon is quoted');
  t.equal(csvCell('a\tb'), '"a\tb"', 'a tab too');
  for (const bad of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx']) t.equal(csvCell(bad).replace(/^"/, '')[0], "'", `${JSON.stringify(bad)} starts with '`);
  t.equal(csvCell('=HYPERLINK("http://x","y")'), '"\'=HYPERLINK(""http://x"",""y"")"', 'prefixed, then quoted');
  t.equal(csvCell(42), '42');
  t.equal(csvCell(null), '');
  t.equal(toCsv([['a', 'b'], [1, null]]), 'a,b\r\n1,\r\n');
});

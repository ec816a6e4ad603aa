// The floor's day and hours in the center's time zone (TIME_ZONE), whatever the server's zone: a New
// York center's "today" starts at its midnight, across DST changes, and a half-hour zone's chart
// buckets start and are labelled on its own hours.
import t from 'tap';
import { loadConfig } from '../../src/config.ts';
import { floorWindow, serviceFigures, type Milestones } from '../../src/domain/floor-stats.ts';
import { checkedTimeZone, startOfDay, startOfHour } from '../../src/domain/time-zone.ts';

const HOUR = 3_600_000;
const utc = (iso: string) => Date.parse(`${iso}Z`);

t.test("New York's day starts at its midnight, 19:00 or 20:00 UTC the day before, and not at UTC midnight", async (t) => {
  // 2026-03-08: clocks go from 02:00 to 03:00 (EST -5 to EDT -4).
  t.equal(startOfDay(utc('2026-03-08T03:00:00'), 'America/New_York'), utc('2026-03-07T05:00:00'), '22:00 EST on the 7th: the 7th began at 05:00 UTC');
  t.equal(startOfDay(utc('2026-03-08T12:00:00'), 'America/New_York'), utc('2026-03-08T05:00:00'), 'after the change the day still began at 00:00 EST');
  t.equal(startOfDay(utc('2026-03-09T12:00:00'), 'America/New_York'), utc('2026-03-09T04:00:00'), 'the next day begins at 00:00 EDT');
  // 2026-11-01: clocks go from 02:00 back to 01:00 (EDT -4 to EST -5): a 25-hour day.
  t.equal(startOfDay(utc('2026-11-01T23:00:00'), 'America/New_York'), utc('2026-11-01T04:00:00'));
  t.equal(startOfDay(utc('2026-11-02T04:30:00'), 'America/New_York'), utc('2026-11-01T04:00:00'), '23:30 EST is still the 1st');
  t.equal(startOfDay(utc('2026-11-02T05:00:00'), 'America/New_York'), utc('2026-11-02T05:00:00'));
});

t.test('a day whose midnight is skipped (Santiago goes from 00:00 to 01:00) begins at the change', async (t) => {
  // 2026-09-06 00:00 -04 becomes 01:00 -03, at 04:00 UTC.
  t.equal(startOfDay(utc('2026-09-06T15:00:00'), 'America/Santiago'), utc('2026-09-06T04:00:00'));
});

t.test('hours in a half-hour zone start at :30 UTC (Asia/Kolkata, +05:30)', async (t) => {
  t.equal(startOfHour(utc('2026-05-12T06:45:10'), 'Asia/Kolkata'), utc('2026-05-12T06:30:00'), '12:15 IST is in the hour that began at 12:00 IST');
  t.equal(startOfDay(utc('2026-05-12T06:45:10'), 'Asia/Kolkata'), utc('2026-05-11T18:30:00'));
});

const chat = (createdAt: number): Milestones => ({ id: String(createdAt), serviceId: 's', createdAt, acceptedAt: null, requeuedAt: null, endedAt: createdAt + 1000, callsAnsweredAt: [] });

t.test("the chart's bars are the zone's hours, labelled with them, and a chat counts in its local hour", async (t) => {
  const now = utc('2026-05-12T06:45:00'); // 12:15 in Kolkata
  const window = floorWindow(now, 'Asia/Kolkata');
  const [s] = serviceFigures({ now, window, services: [{ id: 's' }], interactions: [chat(utc('2026-05-12T06:35:00')), chat(utc('2026-05-12T06:25:00'))], agents: [] });
  t.same(s!.hours.map((h) => h.hour), [5, 6, 7, 8, 9, 10, 11, 12]);
  t.same(s!.hours.slice(-2).map((h) => h.arrived), [1, 1], '11:55 IST in the 11 o\'clock bar, 12:05 IST in the 12 o\'clock one');
});

t.test('across the autumn change the chart shows the repeated hour twice, each an hour long', async (t) => {
  const now = utc('2026-11-01T08:10:00'); // 03:10 EST
  const { hours } = serviceFigures({ now, window: floorWindow(now, 'America/New_York', 4), services: [{ id: 's' }], interactions: [], agents: [] })[0]!;
  t.same(hours.map((h) => h.hour), [1, 1, 2, 3]);
  t.same(hours.map((h) => h.start - hours[0]!.start), [0, HOUR, 2 * HOUR, 3 * HOUR]);
});

t.test('TIME_ZONE: the process zone when unset; an unknown name stops the start with a clear message', async (t) => {
  t.equal(loadConfig({}).timeZone, Intl.DateTimeFormat().resolvedOptions().timeZone);
  t.equal(loadConfig({ TIME_ZONE: 'America/New_York' }).timeZone, 'America/New_York');
  t.throws(() => loadConfig({ TIME_ZONE: 'Mars/Olympus' }), /TIME_ZONE: unknown time zone "Mars\/Olympus": expected an IANA name/);
  t.throws(() => checkedTimeZone(''), RangeError);
});

// Local days and hours in a named time zone (IANA, e.g. America/New_York), from Intl's tz data: the
// floor's "today" and its chart follow the center's zone, not the server's. DST-correct: a day may
// have 23 or 25 hours, and an hour may start at :30 UTC (Asia/Kolkata).

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const formats = new Map<string, Intl.DateTimeFormat>();

function format(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formats.set(zone, f);
  }
  return f;
}

// The zone's name if Intl knows it; otherwise a RangeError that names it.
export function checkedTimeZone(zone: string): string {
  try {
    return format(zone).resolvedOptions().timeZone;
  } catch {
    throw new RangeError(`unknown time zone "${zone}": expected an IANA name such as America/New_York or Europe/Paris`);
  }
}

// The zone this process runs in (TZ, or the system's).
export const processTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

interface Wall {
  // The local date and time written as if it were UTC (ms): arithmetic on it is calendar arithmetic.
  wall: number;
  hour: number;
}

function wallOf(at: number, zone: string): Wall {
  const p: Record<string, number> = {};
  for (const part of format(zone).formatToParts(at)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const ms = ((at % 1000) + 1000) % 1000;
  return { wall: Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!, ms), hour: p.hour! };
}

const offsetAt = (at: number, zone: string) => wallOf(at, zone).wall - at;

// The instant the local day holding `at` began. Two offsets cover the day (at most one change in it);
// of the instants whose local time is midnight, the first (a repeated midnight); none (midnight
// skipped by a change at 00:00): the day begins at the change.
export function startOfDay(at: number, zone: string): number {
  const { wall } = wallOf(at, zone);
  const midnight = wall - (((wall % DAY_MS) + DAY_MS) % DAY_MS);
  const candidates = [offsetAt(at, zone), offsetAt(at - DAY_MS, zone)].map((offset) => midnight - offset);
  const real = candidates.filter((c) => wallOf(c, zone).wall === midnight);
  return real.length > 0 ? Math.min(...real) : Math.max(...candidates);
}

// The instant the local hour holding `at` began (at :30 UTC in a half-hour zone).
export function startOfHour(at: number, zone: string): number {
  const { wall } = wallOf(at, zone);
  return at - (((wall % HOUR_MS) + HOUR_MS) % HOUR_MS);
}

// The local hour of day (0 to 23) at `at`.
export const hourOf = (at: number, zone: string): number => wallOf(at, zone).hour;

import type { ClosedInteraction } from './closure-ports.ts';
import type { InteractionRecord } from './interaction.ts';
import { invalid } from './errors.ts';

// The admins' list and export of ended interactions: per interaction its service, the agents who
// worked it, its channel, how long each medium lasted, the disposition and the rating. Pure.

export interface ReportRow {
  id: string;
  serviceId: string;
  channel: string;
  customerName: string;
  createdAt: number;
  endedAt: number | null;
  agentIds: string[];
  // Milliseconds; null where the medium never ran (a chat never accepted, no call answered, no video).
  chatMs: number | null;
  callMs: number | null;
  videoMs: number | null;
  disposition: string | null;
  notes: string | null;
  rating: number | null;
  ratingComment: string | null;
}

const span = (from: number | null | undefined, to: number | null | undefined) => (from == null || to == null ? null : Math.max(0, to - from));

// Every agent who worked it, in order (each it was transferred to too), then who wrapped it up.
function agentsOf(c: ClosedInteraction): string[] {
  return [...new Set([...(c.workedBy ?? []), c.interaction.agentId, c.wrapUp?.agentId].filter((a): a is string => typeof a === 'string'))];
}

function callMs(rec: InteractionRecord): number | null {
  const answered = rec.callLegs.map((leg) => span(leg.answeredAt, leg.endedAt)).filter((ms): ms is number => ms !== null);
  return answered.length === 0 ? null : answered.reduce((a, b) => a + b, 0);
}

export function reportRow(c: ClosedInteraction): ReportRow {
  const rec = c.interaction;
  return {
    id: rec.id,
    serviceId: rec.serviceId,
    channel: rec.channel,
    customerName: rec.customer.name,
    createdAt: rec.createdAt,
    endedAt: rec.endedAt,
    agentIds: agentsOf(c),
    chatMs: span(rec.acceptedAt, rec.endedAt),
    callMs: callMs(rec),
    videoMs: span(rec.video?.startedAt, rec.video?.endedAt),
    disposition: c.wrapUp?.disposition ?? null,
    notes: c.wrapUp?.notes || null,
    rating: c.rating?.score ?? null,
    ratingComment: c.rating?.comment ?? null,
  };
}

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
export const REPORT_DEFAULT_DAYS = 7;

// The UTC days from `from` to `to` (both included, YYYY-MM-DD) as [start, end) in ms; blank: the last
// seven days up to today. A bad date or a range backwards is refused.
export function reportRange(from: string, to: string, now: number): { from: number; to: number; fromDay: string; toDay: string } {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const parse = (value: string, fallback: number, name: string) => {
    if (value.trim() === '') return fallback;
    const m = DATE.exec(value.trim());
    const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
    if (!m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value.trim()) throw invalid('invalid_date', `${name} must be a date such as 2026-05-12.`);
    return ms;
  };
  const start = parse(from, today - (REPORT_DEFAULT_DAYS - 1) * DAY_MS, 'from');
  const end = parse(to, today, 'to');
  if (end < start) throw invalid('invalid_range', 'The range ends before it starts.');
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { from: start, to: end + DAY_MS, fromDay: day(start), toDay: day(end) };
}

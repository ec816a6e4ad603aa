import type { Presence } from './agent-presence.ts';
import type { InteractionRecord } from './interaction.ts';
import { hourOf, startOfDay, startOfHour } from './time-zone.ts';
import { waitingSince } from './acceptance.ts';

// The wallboard's figures, per service, from the milestones of the interactions (when each arrived,
// was accepted, ended, and when its calls were answered): pure, so every figure is unit-tested.

// What the wallboard needs of an interaction: its milestones, not its context or timeline.
export interface Milestones {
  id: string;
  serviceId: string;
  createdAt: number;
  // The first acceptance, kept if requeued; and since when it waits again after a requeue.
  acceptedAt: number | null;
  requeuedAt: number | null;
  endedAt: number | null;
  // Answer times of its calls (null: never answered).
  callsAnsweredAt: Array<number | null>;
}

export function milestonesOf(rec: InteractionRecord): Milestones {
  return {
    id: rec.id,
    serviceId: rec.serviceId,
    createdAt: rec.createdAt,
    acceptedAt: rec.acceptedAt,
    requeuedAt: rec.requeuedAt,
    endedAt: rec.endedAt,
    callsAnsweredAt: rec.callLegs.map((leg) => leg.answeredAt),
  };
}

export const DEFAULT_SERVICE_LEVEL_SECONDS = 20;
export const CHART_HOURS = 8;
const HOUR_MS = 3_600_000;

export interface FloorWindow {
  // The center's time zone (TIME_ZONE): its days and hours.
  zone: string;
  // Local midnight: "today" starts here.
  dayStart: number;
  // The first of the chart's hourly buckets (the last one is the current hour, begun at hourStart).
  chartStart: number;
  hourStart: number;
  // What must be read to cover both.
  since: number;
}

// Local hours are an hour apart in real time (a DST change repeats or skips one), so the chart steps
// back from the start of this local hour.
export function floorWindow(now: number, zone: string, hours = CHART_HOURS): FloorWindow {
  const dayStart = startOfDay(now, zone);
  const hourStart = startOfHour(now, zone);
  const chartStart = hourStart - (hours - 1) * HOUR_MS;
  return { zone, dayStart, chartStart, hourStart, since: Math.min(dayStart, chartStart) };
}

// An agent with no session is away, whatever its presence was when it left: not on a break.
export type FloorPresence = Presence | 'logged_out';

export interface FloorAgent {
  serviceIds: readonly string[];
  presence: FloorPresence;
}

export interface HourBucket {
  start: number;
  // Its local hour of day (0 to 23), for its label.
  hour: number;
  arrived: number;
  handled: number;
}

export interface ServiceFigures {
  serviceId: string;
  waiting: number;
  // Since the oldest waiting chat arrived; null when none waits.
  longestWaitMs: number | null;
  agents: Record<FloorPresence, number>;
  chatsHandled: number;
  callsHandled: number;
  targetSeconds: number;
  // Share of today's chats accepted within the target, over those decided (accepted, abandoned, or
  // waiting past the target); null while none is.
  serviceLevel: number | null;
  decided: number;
  averageHandleMs: number | null;
  hours: HourBucket[];
}

export interface FloorInput {
  now: number;
  window: FloorWindow;
  services: ReadonlyArray<{ id: string; serviceLevelSeconds?: number }>;
  // Every interaction touched since window.since (open ones included), once each.
  interactions: Iterable<Milestones>;
  agents: Iterable<FloorAgent>;
}

// Waiting: never accepted yet, or requeued and not accepted again.
const isWaiting = (m: Milestones) => m.endedAt === null && (m.acceptedAt === null || m.requeuedAt !== null);

// A chat handled since `from`: accepted by an agent, and ended since.
const handledSince = (m: Milestones, from: number) => m.acceptedAt !== null && m.endedAt !== null && m.endedAt >= from;

export function serviceFigures(input: FloorInput): ServiceFigures[] {
  const { now, window } = input;
  const byService = new Map<string, Milestones[]>(input.services.map((s) => [s.id, []]));
  for (const m of input.interactions) byService.get(m.serviceId)?.push(m);
  const agents = [...input.agents];
  return input.services.map((service) => {
    const all = byService.get(service.id)!;
    const targetSeconds = service.serviceLevelSeconds ?? DEFAULT_SERVICE_LEVEL_SECONDS;
    const waiting = all.filter(isWaiting);
    const handled = all.filter((m) => handledSince(m, window.dayStart));
    const level = serviceLevel(all, window.dayStart, now, targetSeconds * 1000);
    const presence: Record<FloorPresence, number> = { ready: 0, not_ready: 0, wrap_up: 0, logged_out: 0 };
    for (const a of agents) if (a.serviceIds.includes(service.id)) presence[a.presence] += 1;
    return {
      serviceId: service.id,
      waiting: waiting.length,
      longestWaitMs: waiting.length === 0 ? null : now - oldest(waiting),
      agents: presence,
      chatsHandled: handled.length,
      callsHandled: all.reduce((n, m) => n + m.callsAnsweredAt.filter((at) => at !== null && at >= window.dayStart).length, 0),
      targetSeconds,
      serviceLevel: level.decided === 0 ? null : level.within / level.decided,
      decided: level.decided,
      averageHandleMs: handled.length === 0 ? null : handled.reduce((sum, m) => sum + (m.endedAt! - m.acceptedAt!), 0) / handled.length,
      hours: hourBuckets(all, window, now),
    };
  });
}

// A loop, not Math.min(...): spreading ~125k arguments overflows the stack on a long queue.
function oldest(waiting: Milestones[]): number {
  let min = Infinity;
  for (const m of waiting) min = Math.min(min, waitingSince(m));
  return min;
}

function serviceLevel(all: Milestones[], dayStart: number, now: number, targetMs: number): { within: number; decided: number } {
  let within = 0;
  let decided = 0;
  for (const m of all) {
    if (m.createdAt < dayStart) continue;
    const waited = (m.acceptedAt ?? m.endedAt ?? now) - m.createdAt;
    const accepted = m.acceptedAt !== null;
    // Still waiting, within the target: not decided yet.
    if (!accepted && m.endedAt === null && waited <= targetMs) continue;
    decided += 1;
    if (accepted && waited <= targetMs) within += 1;
  }
  return { within, decided };
}

// One pass: each interaction counts in the hour it arrived and the hour it was handled.
function hourBuckets(all: Milestones[], { chartStart, zone }: FloorWindow, now: number): HourBucket[] {
  const buckets: HourBucket[] = [];
  for (let start = chartStart; start <= now; start += HOUR_MS) buckets.push({ start, hour: hourOf(start, zone), arrived: 0, handled: 0 });
  const bucketOf = (at: number) => (at < chartStart ? undefined : buckets[Math.floor((at - chartStart) / HOUR_MS)]);
  for (const m of all) {
    const arrived = bucketOf(m.createdAt);
    if (arrived) arrived.arrived += 1;
    const handled = m.acceptedAt !== null && m.endedAt !== null ? bucketOf(m.endedAt) : undefined;
    if (handled) handled.handled += 1;
  }
  return buckets;
}

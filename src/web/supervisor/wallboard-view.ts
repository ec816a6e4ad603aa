import type { HourBucket, ServiceFigures } from '../../domain/floor-stats.ts';

// A service's wallboard figures as views/supervisor/wallboard.eta shows them, with its chart of the last
// hours drawn as SVG bars on the server (no charting library: nothing to load, on any page).

const CHART = { width: 240, height: 64, top: 4, bottom: 14 };
// 100 % only when every one was, 0 % only when none was: 199 of 200 within the target is 99 %.
const pct = (share: number) => `${share >= 1 ? 100 : share <= 0 ? 0 : Math.min(99, Math.max(1, Math.round(share * 100)))} %`;
// Never below 0:00: a follower whose clock is behind the leader's sees chats "arrive in the future".
// Whole seconds gone, as the page's running timer counts them on (it would otherwise tick back once).
const minutes = (ms: number) => {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};
const hourLabel = (h: HourBucket) => `${String(h.hour).padStart(2, '0')}:00`;

export function wallboardView(f: ServiceFigures, serviceName: string, now: number) {
  return {
    serviceId: f.serviceId,
    serviceName,
    waiting: f.waiting,
    // The page counts the longest wait on from longestWaitMs (the server's clock; the viewer's may be off).
    longestWaitSince: f.longestWaitMs === null ? null : now - f.longestWaitMs,
    longestWaitMs: f.longestWaitMs === null ? null : Math.max(0, f.longestWaitMs),
    longestWait: f.longestWaitMs === null ? '—' : minutes(f.longestWaitMs),
    ready: f.agents.ready,
    notReady: f.agents.not_ready,
    loggedOut: f.agents.logged_out,
    wrapUp: f.agents.wrap_up,
    chatsHandled: f.chatsHandled,
    callsHandled: f.callsHandled,
    targetSeconds: f.targetSeconds,
    serviceLevel: f.serviceLevel === null ? '—' : pct(f.serviceLevel),
    decided: f.decided,
    averageHandle: f.averageHandleMs === null ? '—' : minutes(f.averageHandleMs),
    chart: chart(f.hours),
  };
}

// Two bars an hour, chats arrived and chats handled, scaled to the busiest hour shown.
function chart(hours: HourBucket[]) {
  const slot = CHART.width / Math.max(1, hours.length);
  const bar = Math.floor(slot / 2) - 2;
  const plot = CHART.height - CHART.top - CHART.bottom;
  const top = Math.max(1, ...hours.map((h) => Math.max(h.arrived, h.handled)));
  const rect = (value: number, x: number, kind: string, hour: string) => {
    // One chat in an hour shows, however busy the busiest one was.
    const h = value > 0 ? Math.max(1, Math.round((value / top) * plot)) : 0;
    return { x: Math.round(x), y: CHART.top + plot - h, width: bar, height: h, kind, title: `${hour}: ${value} ${kind}` };
  };
  const bars = hours.flatMap((h, i) => {
    const hour = hourLabel(h);
    return [rect(h.arrived, i * slot + 1, 'arrived', hour), rect(h.handled, i * slot + 1 + bar + 1, 'handled', hour)];
  });
  const labels = hours.map((h, i) => ({ x: Math.round(i * slot + slot / 2), text: hourLabel(h).slice(0, 2) }));
  const summary = hours.map((h) => `${hourLabel(h)} ${h.arrived} arrived, ${h.handled} handled`).join('; ');
  return { ...CHART, bars, labels, labelY: CHART.height - 2, summary: `Chats per hour, last ${hours.length} hours: ${summary}` };
}

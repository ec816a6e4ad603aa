import { PRESENCE_LABELS } from '../../domain/agent-presence.ts';
import type { Administration } from '../../domain/administration.ts';
import type { CallLegState } from '../../domain/call-leg.ts';
import type { ContactCenter } from '../../domain/contact-center.ts';
import { notFound } from '../../domain/errors.ts';
import type { Floor, FloorRow } from '../../domain/floor.ts';
import type { FloorPresence } from '../../domain/floor-stats.ts';
import { liveLeg, type InteractionRecord, type InteractionState } from '../../domain/interaction.ts';
import type { TimelineEntry } from '../../domain/timeline.ts';
import type { SupervisionDesk } from '../../domain/supervision-desk.ts';
import type { DesktopPresenter } from '../desktop/presenter.ts';
import { controlsView } from './controls-view.ts';
import { wallboardView } from './wallboard-view.ts';

// The live list shows this many rows at most (waiting chats first, oldest first): the figures and the
// count cover them all, and a bigger table would cost every supervisor's page more than it tells.
export const LIVE_ROWS_SHOWN = 300;

const FLOOR_PRESENCE_LABELS: Record<FloorPresence, string> = { ...PRESENCE_LABELS, logged_out: 'Logged out' };
const STATE_LABEL: Record<InteractionState, string> = { queued: 'Waiting', offered: 'Offered', active: 'In progress', ended: 'Ended' };
const CALL_LABEL: Record<CallLegState, string> = {
  dialing_agent: 'Ringing the agent',
  dialing_customer: 'Dialing the customer',
  ringing: 'Ringing the customer',
  connected: 'Connected',
  on_hold: 'On hold',
  released: 'Released',
  failed: 'Failed',
};

// m:ss, as the page's timers (public/desktop.js) count on from data-elapsed.
export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

// The supervisor's views: the floor (live interactions, agents, wallboard) and one interaction
// read-only. Names and timeline entries come from the desktop's presenter, so both show the same.
export class SupervisorPresenter {
  readonly #floor: Floor;
  readonly #center: ContactCenter;
  readonly #admin: Administration;
  readonly #desk: DesktopPresenter;
  readonly #supervision: SupervisionDesk | undefined;
  // Agents with a session (sessions.ts): the others show as Logged out, not Not Ready.
  readonly #loggedIn: () => Promise<ReadonlySet<string>>;

  constructor(deps: { floor: Floor; center: ContactCenter; admin: Administration; desk: DesktopPresenter; loggedIn: () => Promise<ReadonlySet<string>>; supervision?: SupervisionDesk }) {
    this.#floor = deps.floor;
    this.#loggedIn = deps.loggedIn;
    this.#center = deps.center;
    this.#admin = deps.admin;
    this.#desk = deps.desk;
    this.#supervision = deps.supervision;
  }

  render(name: string, data: object): string {
    return this.#desk.render(name, data);
  }

  async floorView() {
    const now = this.#floor.now();
    const [services, directory, loggedIn] = await Promise.all([this.#admin.listServices(), this.#admin.listAgents(), this.#loggedIn()]);
    const presence = new Map(this.#center.agents().map((a) => [a.agentId, a.presence]));
    const presenceOf = (id: string): FloorPresence => (loggedIn.has(id) ? (presence.get(id) ?? 'not_ready') : 'logged_out');
    const rows = this.#floor.live();
    const agents = directory
      .filter((a) => !a.disabled)
      .map((a) => ({ id: a.id, displayName: a.displayName, role: a.role, serviceIds: a.serviceIds, presence: presenceOf(a.id) }));
    const inProgress = new Map<string, number>();
    for (const r of rows) if (r.agentId && r.state === 'active') inProgress.set(r.agentId, (inProgress.get(r.agentId) ?? 0) + 1);
    const figures = await this.#floor.figures(services, agents);
    const names = new Map(services.map((s) => [s.id, s.name]));
    return {
      live: rows.length,
      interactions: await Promise.all(rows.slice(0, LIVE_ROWS_SHOWN).map((row) => this.rowView(row, now, names))),
      agents: agents.map((a) => ({
        id: a.id,
        name: a.displayName,
        role: a.role,
        presence: a.presence,
        presenceLabel: FLOOR_PRESENCE_LABELS[a.presence],
        open: inProgress.get(a.id) ?? 0,
        services: a.serviceIds.map((id) => names.get(id) ?? id).join(', ') || '—',
      })),
      wallboard: await this.withRatings(figures.map((f) => wallboardView(f, names.get(f.serviceId) ?? f.serviceId, now))),
    };
  }

  // Each service's average rating today (customers' scores since midnight), from the floor's read model.
  private async withRatings<T extends { serviceId: string }>(rows: T[]) {
    const averages = await this.#floor.ratingAverages();
    return rows.map((row) => {
      const r = averages.get(row.serviceId);
      return { ...row, rating: r ? `${r.average.toFixed(1)} (${r.count})` : '—' };
    });
  }

  private async rowView(row: FloorRow, now: number, names: Map<string, string>) {
    const media = [{ name: 'Chat', since: row.chatSince, state: STATE_LABEL[row.state] }];
    if (row.call) media.push({ name: 'Call', since: row.call.since, state: CALL_LABEL[row.call.state] });
    if (row.video) media.push({ name: 'Video', since: row.video.since, state: row.video.state === 'active' ? 'Active' : 'Requested' });
    return {
      id: row.id,
      serviceName: names.get(row.serviceId) ?? row.serviceId,
      agentName: row.agentId ? await this.#desk.agentName(row.agentId) : '—',
      customerName: row.customerName,
      state: row.state,
      stateLabel: row.state === 'offered' && row.agentId ? `Offered to ${await this.#desk.agentName(row.agentId)}` : STATE_LABEL[row.state],
      // The page counts on from elapsedMs, by the server's clock (a viewer's clock may be off).
      media: media.map((m) => ({ ...m, elapsedMs: Math.max(0, now - m.since), elapsed: clock(now - m.since) })),
    };
  }

  // The three parts of the floor page, swapped in place over the socket.
  async floorFragments(oob: boolean): Promise<string> {
    const view = { ...(await this.floorView()), oob };
    return this.render('supervisor/wallboard', view) + this.render('supervisor/interactions', view) + this.render('supervisor/agents', view);
  }

  async interaction(id: string): Promise<InteractionRecord> {
    const rec = await this.#floor.find(id);
    if (!rec) throw notFound('interaction_not_found', 'No such interaction.');
    return rec;
  }

  // One interaction, read-only: its whole timeline (offers too), its context and its call, with the
  // supervisor's own controls on the call.
  async monitorView(rec: InteractionRecord, supervisorId: string) {
    const entries = await this.entries(rec, await this.#center.timeline(rec.id, 0));
    return { ...(await this.statusView(rec)), context: rec.context, tileUrl: this.#desk.tileUrl, entries, call: await this.callView(rec, supervisorId) };
  }

  async statusView(rec: InteractionRecord) {
    return {
      id: rec.id,
      customerName: rec.customer.name,
      serviceName: await this.#desk.serviceName(rec.serviceId),
      state: rec.state,
      stateLabel: rec.state === 'ended' ? `Ended by ${rec.endedBy ?? 'system'}` : STATE_LABEL[rec.state],
      agentName: rec.agentId ? await this.#desk.agentName(rec.agentId) : rec.offeredTo ? `offered to ${await this.#desk.agentName(rec.offeredTo)}` : 'nobody yet',
    };
  }

  // What views/supervisor/call-panel.eta is given: the interaction id and its live call leg (null
  // when no call is up), with who is on it, and this supervisor's Listen / Whisper / Barge / Stop
  // (null where calls cannot be supervised at all).
  async callView(rec: InteractionRecord, supervisorId: string) {
    const leg = liveLeg(rec) ?? null;
    const elapsedMs = leg?.answeredAt ? Math.max(0, this.#floor.now() - leg.answeredAt) : null;
    return {
      interactionId: rec.id,
      leg,
      stateLabel: leg ? CALL_LABEL[leg.state] : null,
      // How long the call has been up, by the server's clock: the page counts on from it.
      elapsedMs,
      elapsed: elapsedMs === null ? null : clock(elapsedMs),
      agentName: leg ? await this.#desk.agentName(leg.agentId) : null,
      customerName: rec.customer.name,
      controls: this.#supervision ? await controlsView(this.#center, this.#supervision, rec, supervisorId) : null,
    };
  }

  // Entries as the desktop renders them, with photos served from the supervisor's own path.
  async entries(rec: InteractionRecord, entries: TimelineEntry[]) {
    const views = await this.#desk.entries(rec, entries);
    return views.map((e) => (e.url ? { ...e, url: e.url.replace(/^\/desktop\//, '/supervisor/') } : e));
  }

  // The parts of one supervisor's Monitor page that changed (the call panel holds their own controls).
  async monitorFragments(rec: InteractionRecord, parts: { status?: boolean; call?: boolean; context?: boolean }, supervisorId: string): Promise<string> {
    let html = '';
    if (parts.status) html += this.render('supervisor/monitor-status', { ...(await this.statusView(rec)), oob: true });
    if (parts.call) html += this.render('supervisor/call-panel', { ...(await this.callView(rec, supervisorId)), oob: true });
    if (parts.context) html += this.render('partials/context', { id: rec.id, context: rec.context, tileUrl: this.#desk.tileUrl, oob: true });
    return html;
  }

  appendedEntries(groups: Array<{ appendTo: string; entries: object[] }>): string {
    return this.#desk.appendedEntries(groups);
  }
}

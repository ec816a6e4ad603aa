import { randomUUID } from 'node:crypto';
import { PRESENCE_LABELS, type AgentState } from '../../domain/agent-presence.ts';
import { agentActions, agentRefusal, handoffActions, telephonyUnavailable, transferOfferedTo } from '../../domain/guards.ts';
import type { ContactCenter } from '../../domain/contact-center.ts';
import type { InteractionRecord, InteractionState } from '../../domain/interaction.ts';
import { LIMITS } from '../../domain/limits.ts';
import { shownToAgents, type TimelineEntry } from '../../domain/timeline.ts';
import type { MultimediaDesk } from '../../domain/multimedia.ts';
import { DELIVERY_LABELS, isFinalStatus, type SmsDelivery } from '../../domain/sms-ports.ts';
import { MARKER_PATTERN } from '../../domain/sms-reassembly.ts';
import { countSegments, describeSegments } from '../../domain/sms-segments.ts';
import { SUPERVISION_LABEL, type SupervisionState } from '../../domain/supervision.ts';
import type { Views } from '../views.ts';
import { HISTORY_PAGE_ROWS, olderHref } from './history-cursor.ts';
import { mediaView } from './media-view.ts';
import { closureColumns, ratingSummary, wrapUpSummary, wrapUpView } from './closure-view.ts';
import type { Closure } from '../../domain/closure.ts';
import type { ClosedInteraction } from '../../domain/closure-ports.ts';
import type { HistoryQuery } from '../../domain/ports.ts';
import { fillPlaceholders } from '../../domain/canned-responses.ts';
import { callEntrySummary } from './call-entry-view.ts';
import { recordingEntryView } from './recording-view.ts';
import { handoffSummary, transferView } from './handoff-view.ts';
import { utcDateTime } from '../time-format.ts';
import { NameCache } from './name-cache.ts';

const STATE_LABEL: Record<InteractionState, string> = {
  queued: 'Waiting',
  offered: 'Offered to you',
  active: 'In progress',
  ended: 'Ended',
};

// Delivery of agent replies in SMS chats, by timeline entry id.
export interface SmsDeliveries {
  deliveries(interactionId: string): Promise<Map<string, SmsDelivery>>;
}

const fmtDateTime = (ms: number | null) => (ms === null ? '—' : utcDateTime(ms));

// Turns domain records into the view models of views/ and renders the fragments the desktop swaps in,
// whether they answer an HTTP request or go out over the page's WebSocket.
export class DesktopPresenter {
  readonly #center: ContactCenter;
  readonly #views: Views;
  readonly #tileUrl: string;
  readonly #names = new NameCache();
  readonly #multimedia: MultimediaDesk;
  readonly #sms: SmsDeliveries | undefined;
  readonly #closure: Closure;

  constructor(center: ContactCenter, multimedia: MultimediaDesk, closure: Closure, views: Views, tileUrl: string, sms?: SmsDeliveries) {
    this.#sms = sms;
    this.#closure = closure;
    this.#center = center;
    this.#multimedia = multimedia;
    this.#views = views;
    this.#tileUrl = tileUrl;
  }

  get tileUrl(): string {
    return this.#tileUrl;
  }

  get callingConfigured(): boolean {
    return this.#multimedia.capabilities.callingConfigured;
  }

  // The desktop's header notice while the telephony is away (empty and hidden otherwise).
  telephonyNotice() {
    const away = this.#multimedia.capabilities.telephonyAway === true;
    return { telephonyAway: away, telephonyText: away ? telephonyUnavailable().message : '' };
  }

  telephonyFragment(): string {
    return this.render('partials/telephony', { ...this.telephonyNotice(), oob: true });
  }

  // `viewer`: whose panel this is (the agent handling it, or the one it is offered to, or transferred to).
  async panel(rec: InteractionRecord, opts: { withEntries?: boolean; viewer?: string } = {}) {
    const entries = opts.withEntries === false ? [] : await this.#center.timeline(rec.id, 0);
    const shown = entries.filter(shownToAgents);
    const viewer = opts.viewer ?? rec.agentId ?? rec.offeredTo;
    const may = agentActions(rec, viewer, this.#multimedia.capabilities);
    return {
      id: rec.id,
      state: rec.state,
      stateLabel: rec.state === 'ended' ? `Ended by ${rec.endedBy ?? 'system'}` : STATE_LABEL[rec.state],
      customerName: rec.customer.name,
      phone: rec.customer.phone,
      serviceName: await this.serviceName(rec.serviceId),
      wrapUp: rec.state === 'ended' ? await wrapUpView(rec, viewer, this.#closure, await this.#center.requireService(rec.serviceId), (id) => this.agentName(id)) : null,
      context: rec.context,
      tileUrl: this.#tileUrl,
      maxText: LIMITS.textMaxChars,
      entries: await this.entries(rec, shown),
      canAccept: may.accept === null,
      transfer: await transferView(rec, viewer, this.#center, this.#multimedia.capabilities, (id) => this.agentName(id)),
      canWrite: may.post_message === null,
      // The composer's send: one id per message written, so a send repeated on the way is stored once.
      clientId: randomUUID(),
      canned: may.post_message === null ? await this.canned(rec) : [],
      media: mediaView(rec, may, this.#multimedia.capabilities.telephonyAway === true),
      channel: rec.channel,
      smsCount: rec.channel === 'sms' ? describeSegments(countSegments('')) : null,
    };
  }

  // Names are looked up and cached (NameCache), so rendering a pushed message costs no await per entry.
  async entries(rec: InteractionRecord, entries: TimelineEntry[]) {
    for (const e of entries) if (e.agentId && this.#names.get(`agent:${e.agentId}`) === undefined) await this.agentName(e.agentId);
    const sms = rec.channel === 'sms' && this.#sms ? await this.#sms.deliveries(rec.id) : undefined;
    return entries.map((e) => (sms ? { ...this.entry(rec, e), ...smsEntry(e, sms) } : this.entry(rec, e)));
  }

  // The same, at once, when nothing has to be looked up first (the usual case for a pushed message);
  // undefined when something does.
  entriesNow(rec: InteractionRecord, entries: TimelineEntry[]) {
    if (rec.channel === 'sms' && this.#sms) return undefined;
    for (const e of entries) if (e.agentId && this.#names.get(`agent:${e.agentId}`) === undefined) return undefined;
    return entries.map((e) => this.entry(rec, e));
  }

  private entry(rec: InteractionRecord, e: TimelineEntry) {
    const agentName = e.agentId ? (this.#names.last(`agent:${e.agentId}`) ?? e.agentId) : 'agent';
    const who = e.author === 'customer' ? rec.customer.name : e.author === 'agent' ? agentName : 'System';
    const at = new Date(e.createdAt).toISOString();
    return {
      interactionId: e.interactionId,
      seq: e.seq,
      kind: e.kind,
      author: e.author,
      who,
      text: e.text,
      url: e.attachment ? `/desktop/attachments/${e.interactionId}/${e.attachment.attachmentId}` : null,
      recording: e.kind === 'recording' ? recordingEntryView(e) : null,
      summary: summary(e, who, agentName),
      at,
      time: at.slice(11, 19),
    };
  }

  // Open interactions, then the ended ones awaiting this agent's wrap-up (Done).
  async listItems(agentId: string) {
    const open = this.#center.openInteractionsOf(agentId);
    const awaiting = (await this.#closure.awaitingWrapUp(agentId)).filter((id) => !open.some((rec) => rec.id === id));
    const ended = await Promise.all(awaiting.map((id) => this.#center.interactionForAgent(agentId, id)));
    return Promise.all(
      [...open, ...ended].map(async (rec) => ({
        id: rec.id,
        state: rec.state,
        stateLabel: rec.state === 'ended' ? 'Wrap-up' : STATE_LABEL[rec.state],
        canAccept: agentRefusal('accept', rec, agentId, this.#multimedia.capabilities) === null || handoffActions(rec, agentId, this.#multimedia.capabilities).accept_transfer === null,
        acceptUrl: `/desktop/interactions/${rec.id}/${transferOfferedTo(rec) === agentId ? 'accept-transfer' : 'accept'}`,
        customerName: rec.customer.name,
        serviceName: await this.serviceName(rec.serviceId),
      })),
    );
  }

  // A page of the agent's History, newest first, and the link to the older ones when there are any
  // (one row more is read to know).
  async historyPage(agentId: string, before: HistoryQuery['before']) {
    const rows = await this.#center.history(agentId, { limit: HISTORY_PAGE_ROWS + 1, before });
    const shown = rows.slice(0, HISTORY_PAGE_ROWS);
    const last = shown.at(-1)?.interaction;
    return { items: await this.historyItems(shown), olderHref: rows.length > shown.length && last ? olderHref(last) : null };
  }

  private async historyItems(rows: ClosedInteraction[]) {
    return Promise.all(
      rows.map(async ({ interaction: rec, workedBy, wrapUp, rating }) => ({
        id: rec.id,
        agents: await this.agentNames(workedBy ?? []),
        customerName: rec.customer.name,
        phone: rec.customer.phone,
        serviceName: await this.serviceName(rec.serviceId),
        started: fmtDateTime(rec.createdAt),
        ended: fmtDateTime(rec.endedAt),
        endedBy: rec.endedBy ?? '—',
        ...closureColumns(wrapUp, rating),
      })),
    );
  }

  // ---- fragments ------------------------------------------------------------------------------

  render(name: string, data: object): string {
    return this.#views.render(name, data);
  }

  async listFragment(agentId: string, oob = false): Promise<string> {
    return this.render('partials/interaction-list', { items: await this.listItems(agentId), oob });
  }

  presenceFragment(agent: Pick<AgentState, 'presence'>, oob = false): string {
    return this.render('partials/presence', { presence: agent.presence, label: PRESENCE_LABELS[agent.presence], oob });
  }

  async panelFragment(rec: InteractionRecord, viewer?: string): Promise<string> {
    return this.render('partials/interaction-panel', await this.panel(rec, { viewer }));
  }

  // An open panel of a chat no longer the viewer's (handed on, or its offer gone, while the page was
  // away): replaced by why, so no control of it is left to click.
  panelRefused(interactionId: string, message: string): string {
    return this.render('partials/panel-refused', { id: interactionId, message });
  }

  // Whether the viewer may write in this chat now (the composer's Message box and Send are on).
  canWrite(rec: InteractionRecord, viewer: string): boolean {
    return agentRefusal('post_message', rec, viewer, this.#multimedia.capabilities) === null;
  }

  // What changes in an open panel when the interaction changes state: its header, its wrap-up, and its
  // composer only when asked (when whether the agent may write changed: a redraw loses the draft).
  async stateFragments(rec: InteractionRecord, viewer: string, opts: { composer: boolean }): Promise<string> {
    const p = { ...(await this.panel(rec, { withEntries: false, viewer })), oob: true };
    const composer = opts.composer ? this.render('partials/composer', p) : '';
    return this.render('partials/interaction-status', p) + composer + this.render('partials/wrap-up', p);
  }

  // A call or video change redraws the call area, the video area and the header (whose controls
  // depend on both).
  async mediaFragments(rec: InteractionRecord, viewer?: string): Promise<string> {
    const p = { ...(await this.panel(rec, { withEntries: false, viewer })), oob: true };
    return this.render('partials/call', p) + this.render('partials/dial', p) + this.render('partials/video', p) + this.render('partials/interaction-status', p);
  }

  // The Transfer to list of a panel the viewer handles, as the agents' presence changes ('' when the
  // panel shows no form: a handoff is in progress, or the viewer does not handle it).
  async transferSelectFragment(rec: InteractionRecord, viewer: string): Promise<string> {
    const transfer = await transferView(rec, viewer, this.#center, this.#multimedia.capabilities, (id) => this.agentName(id));
    if (!transfer.handling || transfer.pendingTo || transfer.consulting) return '';
    return this.render('partials/transfer-select', { id: rec.id, transfer, oob: true });
  }

  // The call or video area as the viewer may use it (a consulted agent is not the one who holds the chat).
  async callFragment(rec: InteractionRecord, viewer: string, error?: string): Promise<string> {
    return this.render('partials/call', { ...(await this.panel(rec, { withEntries: false, viewer })), error });
  }

  async videoFragment(rec: InteractionRecord, viewer: string, error?: string): Promise<string> {
    return this.render('partials/video', { ...(await this.panel(rec, { withEntries: false, viewer })), error });
  }

  async wrapUpFragment(rec: InteractionRecord, viewer: string): Promise<string> {
    return this.render('partials/wrap-up', { ...(await this.panel(rec, { withEntries: false, viewer })), oob: true });
  }

  async contextFragment(rec: InteractionRecord): Promise<string> {
    return this.render('partials/context', { ...(await this.panel(rec, { withEntries: false })), oob: true });
  }

  // Entries appended to an open chat panel, rendered once looked up (see entriesNow for the usual case).
  async entriesFragment(rec: InteractionRecord, entries: TimelineEntry[]): Promise<string> {
    return this.appendedEntries([{ appendTo: rec.id, entries: await this.entries(rec, entries) }]);
  }

  // Entries pushed to several open panels in one render: each group is appended to its panel's list.
  appendedEntries(groups: Array<{ appendTo: string; entries: object[] }>): string {
    return this.render('partials/entries', { groups });
  }

  // The service's canned responses for this chat: {customer_name} and {agent_name} filled.
  private async canned(rec: InteractionRecord): Promise<string[]> {
    const texts = (await this.#center.requireService(rec.serviceId)).cannedResponses ?? [];
    if (texts.length === 0) return [];
    const values = { customerName: rec.customer.name, agentName: rec.agentId ? await this.agentName(rec.agentId) : '' };
    return texts.map((text) => fillPlaceholders(text, values));
  }

  async serviceName(id: string): Promise<string> {
    return this.#names.read(`service:${id}`, async () => (await this.#center.requireService(id)).name);
  }

  // Every agent who worked an interaction, in order, for history.
  async agentNames(ids: readonly string[]): Promise<string> {
    return ids.length === 0 ? '—' : (await Promise.all(ids.map((id) => this.agentName(id)))).join(', ');
  }

  async agentName(id: string): Promise<string> {
    return this.#names.read(`agent:${id}`, async () => (await this.#center.agentDisplayName(id)) ?? id);
  }
}

// In SMS chats: the delivery status of an agent reply, and the text cut around gap markers so they stand out.
function smsEntry(e: TimelineEntry, deliveries: Map<string, SmsDelivery>) {
  if (e.kind !== 'message' || e.text === null) return {};
  const d = e.author === 'agent' ? deliveries.get(e.id) : undefined;
  const delivery =
    e.author !== 'agent'
      ? null
      : d
        ? { status: d.status, label: `${d.segments} SMS · ${DELIVERY_LABELS[d.status]}`, detail: d.detail, final: isFinalStatus(d.status) }
        : { status: 'sending', label: DELIVERY_LABELS.sending, detail: null, final: false };
  const pieces: Array<{ text: string; gap: boolean }> = [];
  let at = 0;
  for (const m of e.text.matchAll(MARKER_PATTERN)) {
    if (m.index > at) pieces.push({ text: e.text.slice(at, m.index), gap: false });
    pieces.push({ text: m[0], gap: true });
    at = m.index + m[0].length;
  }
  if (pieces.length > 0 && at < e.text.length) pieces.push({ text: e.text.slice(at), gap: false });
  return { entryId: e.id, delivery, pieces: pieces.length > 0 ? pieces : null };
}

// Why a chat went back to the queue (ContactCenter.requeue), after the agent's name.
const REQUEUE_REASONS: Readonly<Record<string, string>> = { agent_disabled: 'was disabled', service_removed: 'no longer serves this service', wrap_up: 'began wrap-up while it rang' };

function summary(e: TimelineEntry, who: string, agentName: string): string {
  switch (e.kind) {
    case 'accepted':
      return `${agentName} accepted the chat`;
    case 'ended':
      return `Chat ended by ${who === 'System' ? 'the system' : who}`;
    case 'context':
      return `${who} updated the context`;
    case 'offered':
      return `Offered to ${agentName}`;
    case 'offer_expired':
      return `Offer to ${agentName} was not answered`;
    case 'wrap_up':
      return wrapUpSummary(e, agentName);
    case 'rating':
      return ratingSummary(e);
    case 'handoff':
      return handoffSummary(e);
    case 'requeued':
      return `Back in the queue: ${agentName} ${REQUEUE_REASONS[(e.data as { reason?: string } | null)?.reason ?? ''] ?? 'was disabled'}`;
    case 'call':
      return callEntrySummary(e, agentName);
    case 'video': {
      const d = (e.data ?? {}) as { state?: string };
      return `Video ${d.state ?? ''}`;
    }
    case 'recording':
      return recordingEntryView(e).summary;
    case 'supervision': {
      const d = (e.data ?? {}) as { state?: SupervisionState; cause?: string | null };
      return `Supervisor ${agentName}: ${SUPERVISION_LABEL[d.state ?? 'ended']}${d.state === 'ended' && d.cause ? ` (${d.cause})` : ''}`;
    }
    default:
      return '';
  }
}

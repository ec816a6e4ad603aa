import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { applyPresence, type AgentState, type PresenceEvent } from './agent-presence.ts';
import { isLive } from './call-leg.ts';
import { checkedContext, checkText, hashToken, normaliseImageType } from './chat-rules.ts';
import type { Service } from './directory.ts';
import { conflict, forbidden, invalid, notFound, unauthorized, unsupportedMedia } from './errors.ts';
import type { ContactCenterDeps, EntryDraft, NewAttachment, NewChat } from './contact-center-types.ts';
import {
  isOpen,
  mergeContext,
  transition,
  type CustomerContext,
  type InteractionRecord,
  type Party,
} from './interaction.ts';
import { E164, LIMITS } from './limits.ts';
import { chooseAgent } from './routing.ts';
import type { AttachmentInfo, TimelineEntry, TimelineKind } from './timeline.ts';
import { TimelineWriter } from './timeline-writer.ts';

export type { ContactCenterConfig, ContactCenterDeps, EntryDraft, NewAttachment, NewChat } from './contact-center-types.ts';

// The rules of chat interactions and their routing to agents. Every entry point (mobile API, agent
// desktop, SMS) goes through here; adapters only translate.
export class ContactCenter {
  readonly #d: ContactCenterDeps;
  readonly #open = new Map<string, InteractionRecord>();
  readonly #agents = new Map<string, AgentState>();
  readonly #offerTimers = new Map<string, { cancel(): void }>();
  readonly #timeline: TimelineWriter;
  // Other components of the interaction (call, video) plug in here: run after Accept, and before an
  // interaction ends so its media is released first.
  readonly afterAccept: Array<(rec: InteractionRecord) => Promise<void>> = [];
  readonly beforeEnd: Array<(rec: InteractionRecord, by: Party) => Promise<void>> = [];

  constructor(deps: ContactCenterDeps) {
    this.#d = deps;
    this.#timeline = new TimelineWriter(deps);
  }

  // Reload what was open before a restart. Offers do not survive (their timers are gone): back to the queue.
  async recover(): Promise<void> {
    for (const agent of await this.#d.directory.listAgents()) {
      this.#agents.set(agent.id, {
        agentId: agent.id,
        serviceIds: agent.serviceIds,
        presence: 'not_ready',
        idleSince: this.#d.clock.now(),
        interactions: new Set(),
        pendingOffer: null,
      });
    }
    for (const rec of await this.#d.store.loadOpenInteractions()) {
      this.#open.set(rec.id, rec);
      if (rec.state === 'offered') {
        transition(rec, 'offer_timeout');
        rec.offeredTo = null;
        rec.offeredAt = null;
        await this.#d.store.saveInteraction(rec);
      }
      if (rec.state === 'active' && rec.agentId) this.#agents.get(rec.agentId)?.interactions.add(rec.id);
    }
  }

  // ---- customer side -------------------------------------------------------------------------

  async startChat(chat: NewChat): Promise<{ interaction: InteractionRecord; token: string }> {
    const service = await this.requireService(chat.serviceId);
    if (!E164.test(chat.customer.phone)) throw invalid('invalid_phone', 'phone must be an E.164 number such as +15551234567.');
    const token = randomBytes(32).toString('base64url');
    const now = this.#d.clock.now();
    const rec: InteractionRecord = {
      id: randomUUID(),
      serviceId: service.id,
      channel: chat.channel,
      customer: chat.customer,
      tokenHash: hashToken(token),
      state: 'queued',
      offeredTo: null,
      offeredAt: null,
      agentId: null,
      createdAt: now,
      acceptedAt: null,
      endedAt: null,
      endedBy: null,
      context: checkedContext(mergeContext({ fields: {} }, chat.context ?? {})),
      lastSeq: 0,
      callLegs: [],
      video: null,
    };
    await this.#d.store.saveInteraction(rec);
    this.#open.set(rec.id, rec);
    this.#d.events.emit({ type: 'interaction_changed', interaction: rec, previousOfferedTo: null });
    this.dispatch();
    return { interaction: rec, token };
  }

  // A token opens exactly one chat: any other chat answers 403, whatever its state.
  async authorizeCustomer(interactionId: string, token: string | undefined): Promise<InteractionRecord> {
    if (!token) throw unauthorized('missing_token', 'Send the chat token as "Authorization: Bearer <token>".');
    const rec = this.#open.get(interactionId) ?? (await this.#d.store.getInteraction(interactionId));
    if (!rec) throw notFound('chat_not_found', 'No chat with this id.');
    const given = Buffer.from(hashToken(token), 'hex');
    if (!timingSafeEqual(given, Buffer.from(rec.tokenHash, 'hex'))) {
      throw forbidden('wrong_token', 'This token does not open this chat.');
    }
    return rec;
  }

  // Not async, like the timeline writer (see there). A broken rule still reaches the caller as a
  // rejection, like every other rule.
  postCustomerMessage(interactionId: string, text: string, clientId?: string): Promise<TimelineEntry> {
    try {
      const rec = this.requireOpen(interactionId);
      checkText(text);
      if (clientId === undefined) return this.#timeline.append(rec, { kind: 'message', author: 'customer', text });
      return this.#timeline.appendOnce(rec, { kind: 'message', author: 'customer', text, clientId }, (id) => this.requireOpen(id));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async addAttachment(interactionId: string, file: NewAttachment): Promise<TimelineEntry> {
    this.requireOpen(interactionId);
    const type = file.sniffedType;
    if (!type || !LIMITS.imageTypes.includes(type)) {
      throw unsupportedMedia('not_an_image', 'Only images (JPEG, PNG, GIF, WebP, HEIC, AVIF) can be sent.');
    }
    if (file.declaredType && normaliseImageType(file.declaredType) !== type) {
      throw unsupportedMedia('type_mismatch', `The file claims to be ${file.declaredType} but its bytes are ${type}.`);
    }
    const attachment: AttachmentInfo = {
      attachmentId: randomUUID(),
      contentType: type,
      size: file.bytes.byteLength,
      fileName: file.fileName.slice(0, 200),
    };
    await this.#d.attachments.save(attachment.attachmentId, file.bytes);
    return this.#timeline.append(this.requireOpen(interactionId), { kind: 'attachment', author: 'customer', attachment });
  }

  async updateContext(interactionId: string, update: Partial<CustomerContext>): Promise<InteractionRecord> {
    const rec = this.requireOpen(interactionId);
    rec.context = checkedContext(mergeContext(rec.context, update));
    await this.#timeline.append(rec, { kind: 'context', author: 'customer', data: { fields: update.fields ?? {}, location: update.location ?? null } });
    return rec;
  }

  async endByCustomer(interactionId: string): Promise<InteractionRecord> {
    return this.end(this.requireOpen(interactionId), 'customer');
  }

  // ---- agent side ----------------------------------------------------------------------------

  agentState(agentId: string): AgentState {
    const agent = this.#agents.get(agentId);
    if (!agent) throw notFound('agent_not_found', 'No such agent.');
    return agent;
  }

  setPresence(agentId: string, event: PresenceEvent): AgentState {
    const agent = this.agentState(agentId);
    applyPresence(agent, event, this.#d.clock.now());
    this.#d.events.emit({ type: 'presence_changed', agent });
    this.dispatch();
    return agent;
  }

  async accept(agentId: string, interactionId: string): Promise<InteractionRecord> {
    const rec = this.requireOpen(interactionId);
    if (rec.offeredTo !== agentId) throw forbidden('not_offered_to_you', 'This chat is not offered to you.');
    transition(rec, 'accept');
    const agent = this.agentState(agentId);
    this.clearOffer(rec, agent);
    rec.agentId = agentId;
    rec.acceptedAt = this.#d.clock.now();
    agent.interactions.add(rec.id);
    await this.#timeline.append(rec, { kind: 'accepted', author: 'agent', agentId });
    this.#d.events.emit({ type: 'interaction_changed', interaction: rec, previousOfferedTo: agentId });
    this.dispatch();
    for (const hook of this.afterAccept) await hook(rec);
    return rec;
  }

  async postAgentMessage(agentId: string, interactionId: string, text: string): Promise<TimelineEntry> {
    const rec = this.requireOpen(interactionId);
    if (rec.agentId !== agentId || rec.state !== 'active') throw forbidden('not_your_chat', 'Accept this chat before writing in it.');
    checkText(text);
    return this.#timeline.append(rec, { kind: 'message', author: 'agent', agentId, text });
  }

  async disconnect(agentId: string, interactionId: string): Promise<InteractionRecord> {
    const rec = this.requireOpen(interactionId);
    if (rec.agentId !== agentId) throw forbidden('not_your_chat', 'Only the agent handling this chat can disconnect it.');
    // The chat is the primary component: release the call first, then disconnect the chat.
    if (rec.callLegs.some(isLive)) throw conflict('call_in_progress', 'Release the call first, then disconnect the chat.');
    if (rec.video?.state === 'active') {
      throw conflict('video_active', 'Video is running: only the customer can close it. Use End session to end everything.');
    }
    return this.end(rec, 'agent');
  }

  // An agent sees what is offered to them now, and what they accepted (open or in history).
  async interactionForAgent(agentId: string, interactionId: string): Promise<InteractionRecord> {
    const rec = this.#open.get(interactionId) ?? (await this.#d.store.getInteraction(interactionId));
    if (!rec) throw notFound('interaction_not_found', 'No such interaction.');
    if (rec.agentId !== agentId && rec.offeredTo !== agentId) {
      throw forbidden('not_your_interaction', 'This interaction was not offered to you.');
    }
    return rec;
  }

  openInteractionsOf(agentId: string): InteractionRecord[] {
    return [...this.#open.values()]
      .filter((rec) => rec.agentId === agentId || rec.offeredTo === agentId)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  history(agentId: string, limit = 100): Promise<InteractionRecord[]> {
    return this.#d.store.listHistory(agentId, limit);
  }

  timeline(interactionId: string, afterSeq = 0, kinds?: readonly TimelineKind[]): Promise<TimelineEntry[]> {
    return this.#d.store.listEntries(interactionId, { afterSeq, kinds });
  }

  readAttachment(attachmentId: string): Promise<Buffer> {
    return this.#d.attachments.read(attachmentId);
  }

  agents(): AgentState[] {
    return [...this.#agents.values()];
  }

  openInteractions(): InteractionRecord[] {
    return [...this.#open.values()];
  }

  async agentDisplayName(agentId: string): Promise<string | null> {
    return (await this.#d.directory.getAgent(agentId))?.displayName ?? null;
  }

  findAgent(agentId: string) {
    return this.#d.directory.getAgent(agentId);
  }

  async requireService(serviceId: string): Promise<Service> {
    const service = await this.#d.directory.getService(serviceId);
    if (!service) throw notFound('unknown_service', `No service "${serviceId}".`);
    return service;
  }

  // ---- routing -------------------------------------------------------------------------------

  // Offers each queued chat, oldest first, to the best Ready agent of its service.
  dispatch(): void {
    const queued = [...this.#open.values()].filter((r) => r.state === 'queued').sort((a, b) => a.createdAt - b.createdAt);
    for (const rec of queued) {
      const agent = chooseAgent(rec.serviceId, this.#agents.values(), this.#d.config.maxChatsPerAgent);
      if (agent) this.offer(rec, agent);
    }
  }

  shutdown(): void {
    for (const timer of this.#offerTimers.values()) timer.cancel();
    this.#offerTimers.clear();
  }

  private offer(rec: InteractionRecord, agent: AgentState): void {
    transition(rec, 'offer');
    rec.offeredTo = agent.agentId;
    rec.offeredAt = this.#d.clock.now();
    agent.pendingOffer = rec.id;
    this.#offerTimers.set(rec.id, this.#d.timers.schedule(this.#d.config.offerTimeoutMs, () => this.expireOffer(rec.id)));
    this.#d.events.emit({ type: 'interaction_changed', interaction: rec, previousOfferedTo: null });
    this.persist(this.#timeline.append(rec, { kind: 'offered', author: 'system', agentId: agent.agentId }));
  }

  // An offer left unanswered goes back to the queue; the agent who let it ring is made Not Ready so the
  // chat reaches someone who is actually there (redirect on no answer).
  private expireOffer(interactionId: string): void {
    const rec = this.#open.get(interactionId);
    if (!rec || rec.state !== 'offered' || !rec.offeredTo) return;
    const agent = this.agentState(rec.offeredTo);
    transition(rec, 'offer_timeout');
    this.clearOffer(rec, agent);
    applyPresence(agent, 'make_not_ready', this.#d.clock.now());
    this.#d.events.emit({ type: 'presence_changed', agent });
    this.#d.events.emit({ type: 'interaction_changed', interaction: rec, previousOfferedTo: agent.agentId });
    this.persist(this.#timeline.append(rec, { kind: 'offer_expired', author: 'system', agentId: agent.agentId }));
    this.dispatch();
  }

  private clearOffer(rec: InteractionRecord, agent: AgentState | undefined): void {
    this.#offerTimers.get(rec.id)?.cancel();
    this.#offerTimers.delete(rec.id);
    if (agent && agent.pendingOffer === rec.id) agent.pendingOffer = null;
    rec.offeredTo = null;
    rec.offeredAt = null;
  }

  private async end(rec: InteractionRecord, by: Party): Promise<InteractionRecord> {
    for (const hook of this.beforeEnd) await hook(rec, by);
    const before = { ...rec };
    const previousOfferedTo = rec.offeredTo;
    transition(rec, 'end');
    this.clearOffer(rec, previousOfferedTo ? this.#agents.get(previousOfferedTo) : undefined);
    rec.endedAt = this.#d.clock.now();
    rec.endedBy = by;
    this.#open.delete(rec.id);
    try {
      await this.#timeline.append(rec, { kind: 'ended', author: by, agentId: by === 'agent' ? rec.agentId : null });
    } catch (err) {
      // Not durably ended: keep it open so the customer or agent can end it again.
      Object.assign(rec, before, { lastSeq: rec.lastSeq });
      this.#open.set(rec.id, rec);
      throw err;
    }
    const agent = rec.agentId ? this.#agents.get(rec.agentId) : undefined;
    if (agent && agent.interactions.delete(rec.id) && agent.interactions.size === 0) agent.idleSince = rec.endedAt;
    this.#d.events.emit({ type: 'interaction_changed', interaction: rec, previousOfferedTo });
    this.dispatch();
    return rec;
  }

  private requireOpen(interactionId: string): InteractionRecord {
    const rec = this.#open.get(interactionId);
    if (!rec || !isOpen(rec)) throw conflict('chat_ended', 'This chat has ended.');
    return rec;
  }

  // For the other components of an interaction (call legs, video), inside the domain.
  findOpenInteraction(interactionId: string): InteractionRecord | undefined {
    return this.#open.get(interactionId);
  }

  findInteraction(interactionId: string): Promise<InteractionRecord | undefined> {
    return this.#d.store.getInteraction(interactionId);
  }

  openInteraction(interactionId: string): InteractionRecord {
    return this.requireOpen(interactionId);
  }

  record(rec: InteractionRecord, draft: EntryDraft): Promise<TimelineEntry> {
    return this.#timeline.append(rec, draft);
  }

  // Writes started from timers have no caller to answer: a failure is reported, not swallowed.
  private persist(write: Promise<unknown>): void {
    write.catch((err: unknown) => this.#d.events.emit({ type: 'store_failed', error: err }));
  }
}

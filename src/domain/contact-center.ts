import { randomUUID } from 'node:crypto';
import { applyPresence, newAgentState, toNotReady, type AgentState, type PresenceEvent } from './agent-presence.ts';
import { checkCustomerToken, checkMessage, checkedAttachment, checkedContext, checkedCustomer, hashToken, serviceDisabled } from './chat-rules.ts';
import { markAccepted, markRequeued } from './acceptance.ts';
import { ChatStarts, type ChatStarted } from './chat-starts.ts';
import type { ContactCenterDeps, NewAttachment, NewChat } from './contact-center-types.ts';
import type { Agent, Service } from './directory.ts';
import { notFound, unauthorized } from './errors.ts';
import { assertCustomerMay, type AgentAction, type CustomerAction } from './guards.ts';
import { holdsOrIsOffered, mergeContext, newInteraction, transition, type CustomerContext, type InteractionRecord, type Party } from './interaction.ts';
import { maybeCommitted } from './timeline-writer.ts';
import type { Interactions } from './interactions.ts';
import { Offers } from './offers.ts';
import type { HistoryQuery, StoredPresence } from './ports.ts';
import type { TimelineEntry, TimelineKind } from './timeline.ts';
import { KeyedQueue } from './util/keyed-queue.ts';

// The rules of chat interactions and their routing to agents. Every entry point (mobile API, agent
// desktop, SMS) goes through here; adapters only translate.
export class ContactCenter {
  readonly #d: ContactCenterDeps;
  readonly #open: Interactions;
  readonly #agents = new Map<string, AgentState>();
  readonly #offers: Offers;
  // run() only: every failure reaches its caller.
  readonly #agentChanges = new KeyedQueue(() => undefined);
  readonly #starts = new ChatStarts((startKeyHash) => this.#open.findByStartKey(startKeyHash, (rec) => this.changed(rec, null)));

  constructor(deps: ContactCenterDeps) {
    this.#d = deps;
    this.#open = deps.interactions;
    this.#offers = new Offers({ open: this.#open, agents: this.#agents, center: deps, presenceChanged: (agent) => this.presenceChanged(agent), persist: (write) => this.persist(write) });
  }

  // Reload what was open before a restart. Offers do not survive (their timers are gone): back to the queue,
  // then offered to whoever is Ready in stored presence (wrap-up's time: Closure.recover) once
  // `beforeOffers` has run (main.ts: agents nobody is at log out).
  async recover(beforeOffers: () => Promise<void> = async () => undefined): Promise<void> {
    for (const agent of await this.#d.directory.listAgents()) this.#agents.set(agent.id, newAgentState(agent, this.#d.clock.now()));
    for (const stored of (await this.#d.presence?.loadPresence()) ?? []) {
      const agent = this.#agents.get(stored.agentId);
      if (agent && agent.serviceIds.length > 0) Object.assign(agent, { presence: stored.presence, idleSince: stored.idleSince });
    }
    await this.#open.load();
    for (const rec of this.#open.all()) {
      if (rec.state === 'offered') {
        const previousOfferedTo = rec.offeredTo;
        transition(rec, 'offer_timeout');
        Object.assign(rec, { offeredTo: null, offeredAt: null });
        await this.#d.store.saveInteraction(rec);
        // Pages on this node still show the offer (a node hears no store notice of its own writes).
        this.#d.events.emit({ type: 'interaction_changed', interaction: rec, previousOfferedTo });
      }
      if (rec.state === 'active' && rec.agentId) this.#agents.get(rec.agentId)?.interactions.add(rec.id);
    }
    await beforeOffers();
    this.dispatch();
  }

  // ---- customer side -------------------------------------------------------------------------

  // A start sent again with its key answers with the chat the first one started (chat-starts.ts).
  startChat(chat: NewChat): Promise<ChatStarted> {
    return this.#starts.start(chat, async (token, startKey) => {
      const service = await this.serviceTakingChats(chat.serviceId);
      const context = checkedContext(mergeContext({ fields: {} }, chat.context ?? {}));
      const rec = newInteraction({ id: randomUUID(), serviceId: service.id, channel: chat.channel, customer: checkedCustomer(chat.customer), tokenHash: hashToken(token), startKey, createdAt: this.#d.clock.now(), context });
      await this.#open.addNew(rec, this.#d.config.maxWaitingChats);
      this.changed(rec, null);
      return rec;
    });
  }

  // The chat this token opens (chat-rules.ts checkCustomerToken). With `action`, the guard of that action
  // is asserted too (an ended chat gets no phone).
  async authorizeCustomer(interactionId: string, token: string | undefined, action?: CustomerAction): Promise<InteractionRecord> {
    if (!token) throw unauthorized('missing_token', 'Send the chat token as "Authorization: Bearer <token>".');
    const rec = checkCustomerToken(await this.#open.find(interactionId), token, this.#d.clock.now() - this.#d.config.endedChatAccessMs);
    if (action) assertCustomerMay(action, rec, this.#d.media.capabilities);
    return rec;
  }

  // Not async, like the timeline writer; a broken rule still reaches the caller as a rejection.
  postCustomerMessage(interactionId: string, text: string, clientId?: string | null): Promise<TimelineEntry> {
    try {
      const rec = this.customerMay('post_message', interactionId);
      const id = clientId ?? undefined; // null: forwarded from a follower without one (see postAgentMessage)
      checkMessage(text, id);
      if (id === undefined) return this.#open.append(rec, { kind: 'message', author: 'customer', text });
      return this.#open.appendOnce(rec, { kind: 'message', author: 'customer', text, clientId: id });
    } catch (err) {
      return this.#open.storedBeforeEnd(interactionId, { kind: 'message', author: 'customer', text }, clientId ?? undefined, err);
    }
  }

  // A photo sent again with its client id (its answer was lost on the way, or it is still on its way;
  // the chat may have ended since) is not stored twice, bytes included: the first one is the answer.
  async addAttachment(interactionId: string, file: NewAttachment): Promise<TimelineEntry> {
    const { clientId } = file;
    let rec: InteractionRecord;
    try {
      rec = this.customerMay('send_photo', interactionId);
    } catch (err) {
      return this.#open.storedBeforeEnd(interactionId, { kind: 'attachment', author: 'customer' }, clientId, err);
    }
    const attachment = checkedAttachment(file);
    const draft = { kind: 'attachment', author: 'customer', attachment } as const;
    // The chat is checked again once the bytes are on disk: it may have ended (or filled) meanwhile.
    const saveBytes = async () => {
      await this.#d.attachments.save(attachment.attachmentId, file.bytes);
      return this.customerMay('send_photo', interactionId);
    };
    if (clientId !== undefined) return this.#open.appendOnce(rec, { ...draft, clientId }, saveBytes);
    return this.#open.append(await saveBytes(), draft);
  }

  async updateContext(interactionId: string, update: Partial<CustomerContext>): Promise<InteractionRecord> {
    const rec = this.customerMay('update_context', interactionId);
    rec.context = checkedContext(mergeContext(rec.context, update));
    await this.#open.append(rec, { kind: 'context', author: 'customer', data: { fields: update.fields ?? {}, location: update.location ?? null } });
    return rec;
  }

  async endByCustomer(interactionId: string): Promise<InteractionRecord> {
    return this.end(this.customerMay('end_chat', interactionId), 'customer');
  }

  // ---- agent side ----------------------------------------------------------------------------

  agentState(agentId: string): AgentState {
    const agent = this.#agents.get(agentId);
    if (!agent) throw notFound('agent_not_found', 'No such agent.');
    return agent;
  }

  // Routing follows at once; the answer waits until the change is stored (a new leader reads it): a
  // presence a failover would lose is answered with the store's failure (the same click stores it again).
  async setPresence(agentId: string, event: PresenceEvent): Promise<AgentState> {
    const agent = this.agentState(agentId);
    applyPresence(agent, event, this.#d.clock.now());
    const stored = this.announcePresence(agent);
    if (event === 'log_out') this.#d.events.emit({ type: 'agent_logged_out', agentId });
    this.dispatch();
    await stored;
    return agent;
  }

  // A change the rules make (wrap-up starting, running out): no click waits for it, so a failure to
  // store it is reported (store_failed). A chat ringing for an agent whose wrap-up begins goes back to
  // the queue, to someone free, without the Not Ready of an offer left ringing.
  changePresence(agentId: string, event: PresenceEvent): void {
    const agent = this.agentState(agentId);
    applyPresence(agent, event, this.#d.clock.now());
    void this.presenceChanged(agent);
    const ringing = agent.pendingOffer ? this.#open.get(agent.pendingOffer) : undefined;
    if (agent.presence === 'wrap_up' && ringing?.state === 'offered') void this.persist(this.requeue(ringing, agent, 'wrap_up'));
    this.dispatch();
  }

  // Agents nobody is at (their last session expired or logged out, their password was reset, a new leader
  // found them Ready) leave routing, Not Ready: an offer would only ring out, and one ringing now goes on
  // at once, to none of them. `loggedIn` was read at `since`; who went Ready after that logged in since.
  logOutAbsent(loggedIn: ReadonlySet<string>, since: number): void {
    const absent = [...this.#agents.values()].filter((a) => a.presence !== 'not_ready' && !loggedIn.has(a.agentId) && a.idleSince <= since);
    const ringing = absent.flatMap((agent) => agent.pendingOffer ?? []);
    for (const agent of absent) {
      applyPresence(agent, 'log_out', this.#d.clock.now());
      this.presenceChanged(agent);
      this.#d.events.emit({ type: 'agent_logged_out', agentId: agent.agentId });
    }
    for (const interactionId of ringing) this.#offers.expire(interactionId);
  }

  // A node that does not lead hears another's presence change (stored): its pages show it. Agents it
  // has not seen yet (added on the leader) are made here; routing is the leader's, so no services.
  replicatePresence(stored: StoredPresence): void {
    let agent = this.#agents.get(stored.agentId);
    if (!agent) this.#agents.set(stored.agentId, (agent = { agentId: stored.agentId, serviceIds: [], presence: 'not_ready', idleSince: stored.idleSince, interactions: new Set(), pendingOffer: null }));
    else if (agent.presence === stored.presence && agent.idleSince === stored.idleSince) return;
    Object.assign(agent, { presence: stored.presence, idleSince: stored.idleSince });
    this.#d.events.emit({ type: 'presence_changed', agent });
  }

  async accept(agentId: string, interactionId: string): Promise<InteractionRecord> {
    const rec = this.agentMay('accept', agentId, interactionId);
    const { acceptedAt, requeuedAt, heldSince } = rec;
    markAccepted(rec, agentId, this.#d.clock.now());
    const agent = this.agentState(agentId);
    this.#offers.clear(rec, agent);
    agent.interactions.add(rec.id);
    await this.#open.append(rec, { kind: 'accepted', author: 'agent', agentId }).catch((err: unknown) => {
      if (!maybeCommitted(err)) this.acceptNotStored(rec, agent, { acceptedAt, requeuedAt, heldSince });
      throw err;
    });
    this.changed(rec, agentId);
    await this.#d.media.afterAccept(rec);
    return rec;
  }

  // Accept's write failed and was not stored: the chat goes back to the queue as it was (no requeue of
  // an accepted chat, no Not Ready for the agent), and routing offers it at once, to this agent again
  // if they are the one to take it. Unless it moved on meanwhile (ended, requeued): then it stays so.
  private acceptNotStored(rec: InteractionRecord, agent: AgentState, was: Pick<InteractionRecord, 'acceptedAt' | 'requeuedAt' | 'heldSince'>): void {
    agent.interactions.delete(rec.id);
    if (this.#open.get(rec.id) !== rec || rec.state !== 'active' || rec.agentId !== agent.agentId) return;
    transition(rec, 'requeue');
    Object.assign(rec, { agentId: null, ...was });
    this.changed(rec, agent.agentId);
  }

  // With its composer's client id, a send repeated (the browser's, its answer lost behind the load
  // balancer; or the agent's after a 503) gets the first entry back, not a second reply.
  async postAgentMessage(agentId: string, interactionId: string, text: string, clientId?: string | null): Promise<TimelineEntry> {
    const rec = this.agentMay('post_message', agentId, interactionId);
    const id = clientId ?? undefined; // null: the cluster link's JSON carries a missing argument so
    checkMessage(text, id);
    const draft = { kind: 'message', author: 'agent', agentId, text } as const;
    return id === undefined ? this.#open.append(rec, draft) : this.#open.appendOnce(rec, { ...draft, clientId: id });
  }

  // Refused while a call or video is up (see guards.ts); End session is the way out then.
  async disconnect(agentId: string, interactionId: string): Promise<InteractionRecord> {
    return this.end(this.agentMay('disconnect_chat', agentId, interactionId), 'agent');
  }

  // Video, call and chat end together; the media goes first (InteractionMedia.beforeEnd).
  async endSession(agentId: string, interactionId: string): Promise<InteractionRecord> {
    return this.end(this.agentMay('end_session', agentId, interactionId), 'agent');
  }

  // An agent acts on what is offered to them now or what they hold (open, or ended awaiting wrap-up);
  // it reads that, and every interaction it worked (history: read-only), with all who worked it.
  interactionForAgent(agentId: string, interactionId: string): Promise<InteractionRecord> {
    return this.#open.heldBy(agentId, interactionId);
  }

  interactionToRead(agentId: string, interactionId: string) {
    return this.#open.readableBy(agentId, interactionId);
  }

  openInteractionsOf(agentId: string): InteractionRecord[] {
    return this.#open.all().filter((rec) => holdsOrIsOffered(rec, agentId)).sort((a, b) => a.createdAt - b.createdAt);
  }

  history(agentId: string, page: HistoryQuery) {
    return this.#open.history(agentId, page);
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
    return this.#open.all();
  }

  async agentDisplayName(agentId: string): Promise<string | null> {
    return (await this.#d.directory.getAgent(agentId))?.displayName ?? null;
  }

  findAgent(agentId: string) {
    return this.#d.directory.getAgent(agentId);
  }

  // The customer's page says so before a chat is started; a start checks it too.
  async serviceTakingChats(serviceId: string): Promise<Service> {
    const service = await this.requireService(serviceId);
    if (service.disabled) throw serviceDisabled(service);
    return service;
  }

  async requireService(serviceId: string): Promise<Service> {
    const service = await this.#d.directory.getService(serviceId);
    if (!service) throw notFound('unknown_service', `No service "${serviceId}".`);
    return service;
  }

  // ---- administration ------------------------------------------------------------------------

  // An agent added, edited, disabled or enabled (administration.ts), or logging in: routing follows its
  // services at once. A disabled agent is Not Ready and serves nothing; its offer and chats go back to the
  // queue (each with a timeline entry) for others. One change of an agent at a time, each reading the
  // directory then: a login that read the agent before an admin's edit cannot undo the edit.
  agentChanged(given: Agent): Promise<void> {
    return this.#agentChanges.run(given.id, async () => {
      const agent = (await this.#d.directory.getAgent(given.id)) ?? given;
      let state = this.#agents.get(agent.id);
      if (!state) this.#agents.set(agent.id, (state = newAgentState(agent, this.#d.clock.now())));
      state.serviceIds = agent.disabled ? [] : [...agent.serviceIds];
      if (agent.disabled) await this.withdraw(state);
      // A chat ringing for them of a service they no longer serve goes to someone who does (a transfer
      // offered to them is the handoff desk's).
      const ringing = state.pendingOffer ? this.#open.get(state.pendingOffer) : undefined;
      if (ringing?.state === 'offered' && !state.serviceIds.includes(ringing.serviceId)) await this.requeue(ringing, state, 'service_removed');
      // Stored before the caller goes on (a login): every node knows the agent and its presence then.
      await this.#d.presence?.savePresence({ agentId: state.agentId, presence: state.presence, idleSince: state.idleSince });
      this.dispatch();
    });
  }

  private async withdraw(agent: AgentState): Promise<void> {
    if (agent.presence !== 'not_ready') {
      applyPresence(agent, toNotReady(agent.presence), this.#d.clock.now());
      this.presenceChanged(agent);
    }
    // Handoffs offered to the agent end at the handoff desk; chats offered to or held by them are requeued.
    this.#d.events.emit({ type: 'agent_disabled', agentId: agent.agentId });
    const mine = this.#open.all().filter((rec) => (rec.state === 'active' ? rec.agentId : rec.offeredTo) === agent.agentId);
    for (const rec of mine) {
      // The call and video went through the agent, who is gone: they end before another agent takes over.
      if (rec.state === 'active') await this.#d.media.beforeEnd(rec, 'system');
      await this.requeue(rec, agent, 'agent_disabled');
    }
  }

  // Back to the queue from the agent it was offered to or held by, with a timeline entry saying why.
  private async requeue(rec: InteractionRecord, agent: AgentState, reason: 'agent_disabled' | 'service_removed' | 'wrap_up'): Promise<void> {
    const previousOfferedTo = rec.offeredTo;
    markRequeued(rec, this.#d.clock.now());
    this.#offers.clear(rec, agent);
    agent.interactions.delete(rec.id);
    await this.#open.append(rec, { kind: 'requeued', author: 'system', agentId: agent.agentId, data: { reason } });
    this.#d.events.emit({ type: 'interaction_changed', interaction: rec, previousOfferedTo });
  }

  // ---- routing -------------------------------------------------------------------------------

  // Offers each queued chat, oldest first, to the best Ready agent of its service (offers.ts).
  dispatch(): void {
    this.#offers.dispatch();
  }

  shutdown(): void {
    this.#offers.shutdown();
  }

  // A change the rules made (no click waits for it): a failure to store it is reported (store_failed).
  private presenceChanged(agent: AgentState): Promise<void> {
    return this.persist(this.announcePresence(agent));
  }

  // Heard at once on this node; stored in order per agent (the store's promise).
  private announcePresence(agent: AgentState): Promise<void> {
    this.#d.events.emit({ type: 'presence_changed', agent });
    return this.#d.presence?.savePresence({ agentId: agent.agentId, presence: agent.presence, idleSince: agent.idleSince }) ?? Promise.resolve();
  }

  private async end(rec: InteractionRecord, by: Party): Promise<InteractionRecord> {
    await this.#d.media.beforeEnd(rec, by);
    const before = { ...rec };
    const previousOfferedTo = rec.offeredTo;
    transition(rec, 'end');
    this.#offers.clear(rec, previousOfferedTo ? this.#agents.get(previousOfferedTo) : undefined);
    rec.endedAt = this.#d.clock.now();
    rec.endedBy = by;
    this.#open.remove(rec);
    try {
      await this.#open.append(rec, { kind: 'ended', author: by, agentId: by === 'agent' ? rec.agentId : null });
    } catch (err) {
      // Not durably ended: keep it open so the customer or agent can end it again.
      Object.assign(rec, before, { lastSeq: rec.lastSeq });
      this.#open.add(rec);
      throw err;
    }
    const agent = rec.agentId ? this.#agents.get(rec.agentId) : undefined;
    if (agent && agent.interactions.delete(rec.id) && agent.interactions.size === 0) agent.idleSince = rec.endedAt;
    this.changed(rec, previousOfferedTo);
    return rec;
  }

  // Pages hear of the change, and routing acts on it (a chat in the queue is offered).
  private changed(rec: InteractionRecord, previousOfferedTo: string | null): void {
    this.#d.events.emit({ type: 'interaction_changed', interaction: rec, previousOfferedTo });
    this.dispatch();
  }

  private agentMay(action: AgentAction, agentId: string, interactionId: string): InteractionRecord {
    return this.#open.agentMay(action, agentId, interactionId, this.#d.media.capabilities);
  }

  private customerMay(action: CustomerAction, interactionId: string): InteractionRecord {
    return this.#open.customerMay(action, interactionId, this.#d.media.capabilities);
  }

  // Writes started from timers have no caller to answer: a failure is reported, not swallowed.
  private persist(write: Promise<unknown>): Promise<void> {
    return write.then(
      () => undefined,
      (err: unknown) => this.#d.events.emit({ type: 'store_failed', error: err }),
    );
  }
}

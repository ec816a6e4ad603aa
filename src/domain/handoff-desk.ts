import { CallEndedMeanwhile } from './ports.ts';
import type { DomainEvent } from './events.ts';
import { conflict, unavailable } from './errors.ts';
import { consultOf, transferOfferedTo, type MediaCapabilities } from './guards.ts';
import { isInProgress, type HandoffEvent } from './handoff.ts';
import { HandoffSteps, type HandoffStepsDeps, type Step, type TransferForm } from './handoff-steps.ts';
import { ConsultDesk, type ConsultMedia, type HandoverSupervision } from './consult-desk.ts';
import type { InteractionRecord } from './interaction.ts';

export type HandoffDeskDeps = Omit<HandoffStepsDeps, 'capabilities' | 'config'> & {
  // The call and video components (MultimediaDesk): a live call moves with the chat on Accept, and
  // rings the consulted agent's phone on Consult.
  media: ConsultMedia & { readonly capabilities: MediaCapabilities; moveCall(rec: InteractionRecord, agentId: string): Promise<void>; stopMove(rec: InteractionRecord): void };
  // Supervisors who only listen leave the first agent's phone before the call moves (SupervisionDesk).
  supervision: HandoverSupervision;
  config: { offerTimeoutMs: number; maxChatsPerAgent: number };
};

export type { TransferForm } from './handoff-steps.ts';

// Handoffs of a whole interaction from one agent to another. A transfer (cold) is offered to the
// target (it sees the timeline so far: rec.offeredTo) while the first agent keeps handling it; on
// Accept it moves and the first agent is free; unanswered, it returns to the first agent. A consult
// (warm) is consult-desk.ts's; Cancel transfer ends either. Runs on the leader
// (web/cluster/commands.ts), like routing.
export class HandoffDesk {
  readonly #d: HandoffDeskDeps;
  readonly #steps: HandoffSteps;
  readonly #consults: ConsultDesk;
  // Transfers whose call is being moved to the new agent's phone: not cancelled or accepted twice.
  readonly #accepting = new Set<string>();
  // Of those, the ones whose target an admin disabled meanwhile.
  readonly #targetDisabled = new Set<string>();

  constructor(deps: HandoffDeskDeps) {
    this.#d = deps;
    this.#steps = new HandoffSteps({ ...deps, capabilities: deps.media.capabilities });
    this.#consults = new ConsultDesk({ steps: this.#steps, interactions: deps.interactions, media: deps.media, supervision: deps.supervision });
  }

  async transfer(agentId: string, interactionId: string, form: TransferForm): Promise<InteractionRecord> {
    const { rec, handoff } = await this.#steps.begin('transfer', agentId, interactionId, form);
    this.#steps.schedule(rec, this.#d.config.offerTimeoutMs, () => this.timeOut(rec.id));
    await this.#steps.record(rec, handoff, 'offered', 'agent', agentId);
    this.#steps.emitOffered(rec);
    return rec;
  }

  consult(agentId: string, interactionId: string, form: TransferForm): Promise<InteractionRecord> {
    return this.#consults.consult(agentId, interactionId, form);
  }

  // An admin may disable the consulted agent while the call is handed over (their disabling is held
  // back meanwhile, then dropped): the chat is theirs now, so it goes as every chat of a disabled agent.
  async complete(agentId: string, interactionId: string): Promise<InteractionRecord> {
    const rec = await this.#consults.complete(agentId, interactionId);
    if (rec.agentId) await this.#ifDisabledNow(rec.agentId);
    return rec;
  }

  async accept(agentId: string, interactionId: string): Promise<InteractionRecord> {
    const offered = this.#steps.agentMay('accept_transfer', agentId, interactionId);
    if (this.#accepting.has(interactionId)) throw beingAccepted();
    // The call first: its new phone answering is what makes the handover. The offer's time stops
    // meanwhile; a phone that does not answer returns the whole interaction to the first agent.
    this.#accepting.add(interactionId);
    this.#steps.stopTimer(interactionId);
    try {
      await this.#d.supervision.endForHandover(offered);
      await this.#d.media.moveCall(offered, agentId);
    } catch (err) {
      // A call that ends while the new phone rings (the customer hangs up, the first agent releases it)
      // ends the ring at once; the chat stays.
      const ended = err instanceof CallEndedMeanwhile ? (err.customerHungUp ? 'customer_hung_up' : 'call_ended') : null;
      const disabled = this.#targetDisabled.delete(interactionId);
      this.withdraw(offered, 'time_out', 'returned', { reason: ended ?? (disabled ? 'target_disabled' : 'call_not_moved') });
      if (disabled && !ended) throw conflict('target_disabled', 'Your account was disabled while your phone rang: the customer stays with the first agent.');
      if (ended === 'customer_hung_up') throw conflict(ended, 'The customer hung up while your phone rang: the chat stays with the first agent.');
      if (ended) throw conflict(ended, 'The call was released while your phone rang: the chat stays with the first agent.');
      throw unavailable('transfer_call_failed', `The call could not be moved to your phone (${err instanceof Error ? err.message : String(err)}): the customer is still with the first agent.`);
    } finally {
      this.#accepting.delete(interactionId);
    }
    // Disabled once the phone had answered (too late to stop the ring): theirs now, so it goes as every
    // chat of a disabled agent (call released, chat requeued). Known now, not after the handover, which
    // may fail: a later transfer of this chat is not told so.
    const disabledMeanwhile = this.#targetDisabled.delete(interactionId);
    const rec = this.#steps.agentMay('accept_transfer', agentId, interactionId);
    await this.#steps.handOver(rec, 'accept', 'accepted', agentId);
    if (disabledMeanwhile) await this.#ifDisabledNow(agentId);
    return rec;
  }

  // After the handover is stored: a failure here is reported, not answered as the handover's.
  async #ifDisabledNow(agentId: string): Promise<void> {
    try {
      const agent = await this.#d.directory.getAgent(agentId);
      if (agent?.disabled) await this.#d.routing.agentChanged(agent);
    } catch (err) {
      this.#steps.storeFailed(err);
    }
  }

  // Cancel transfer: of a transfer offered, or of a consult (the customer back with the first agent).
  async cancel(agentId: string, interactionId: string): Promise<InteractionRecord> {
    const rec = this.#steps.agentMay('cancel_transfer', agentId, interactionId);
    this.#consults.refuseWhileSettling(interactionId);
    if (consultOf(rec)) return this.#consults.cancel(agentId, rec);
    if (this.#accepting.has(interactionId)) throw beingAccepted();
    await this.#steps.endWithout(rec, 'cancel', 'cancelled', agentId);
    return rec;
  }

  // The rules' events on the leader: a customer who ends the chat, or a target who stops being Ready
  // (Not Ready, disabled), ends the offer at once, before routing acts on it. A consulted agent is on
  // the phone with the first one: their consult ends with that call, not with their presence, unless
  // an admin disabled them or they logged out (Complete transfer would hand the interaction to an agent
  // who cannot work it).
  onEvent(event: DomainEvent): void {
    if (event.type === 'interaction_changed' && event.interaction.state === 'ended') this.withdraw(event.interaction, 'cancel', 'cancelled', { reason: ENDED_BY[event.interaction.endedBy ?? 'system'] });
    // A consult's call that ended, however Asterisk told it (or did not), ends the consult.
    if (event.type === 'entry_appended' && event.entry.kind === 'call') this.#consults.callGone(event.interaction);
    if (event.type === 'agent_disabled') {
      // The first agent's transfer ends before their chats go back to the queue (ContactCenter.withdraw):
      // left offered, it kept its target from other offers and returned, later, to nobody. A consult
      // ends with its call, which the first agent's leaving ends. One whose phone rings after Accept
      // is the target's to take.
      const handing = this.#d.interactions.all().filter((r) => r.agentId === event.agentId && transferOfferedTo(r) && !consultOf(r) && !this.#accepting.has(r.id));
      for (const rec of handing) this.withdraw(rec, 'cancel', 'cancelled', { reason: 'first_agent_disabled' });
      for (const rec of this.#d.interactions.all().filter((r) => transferOfferedTo(r) === event.agentId)) {
        if (consultOf(rec)) this.#consults.targetGone(rec, 'target_disabled');
        // Their phone rings after Accept: the ring ends, and accept() returns chat and call together.
        else if (this.#accepting.has(rec.id)) {
          this.#targetDisabled.add(rec.id);
          this.#d.media.stopMove(rec);
        } else this.withdraw(rec, 'time_out', 'returned', { reason: 'target_disabled' });
      }
    }
    // A consulted agent who logs out could no longer take the chat Complete transfer would hand them.
    if (event.type === 'agent_logged_out') {
      for (const rec of this.#d.interactions.all().filter((r) => transferOfferedTo(r) === event.agentId && consultOf(r))) this.#consults.targetGone(rec, 'target_logged_out');
    }
    // One whose phone already rings after Accept keeps it: going Not Ready stops new offers, not the
    // call about to be theirs (withdrawn now, the call would move and the chat stay behind).
    if (event.type === 'presence_changed' && event.agent.presence !== 'ready') {
      const offered = this.#d.interactions.all().filter((rec) => transferOfferedTo(rec) === event.agent.agentId && !consultOf(rec) && !this.#accepting.has(rec.id));
      for (const rec of offered) this.withdraw(rec, 'time_out', 'returned', { reason: 'target_not_ready' });
    }
  }

  // A handoff does not survive a restart (its timer, its consult call are gone): on the new leader the
  // interaction is back with the agent who had it, and the timeline says so.
  recover(): void {
    for (const rec of this.#d.interactions.all()) {
      if (!transferOfferedTo(rec)) continue;
      if (consultOf(rec)) this.#consults.recover(rec);
      else this.withdraw(rec, 'time_out', 'returned', { reason: 'restart' });
    }
  }

  shutdown(): void {
    this.#steps.shutdown();
  }

  private timeOut(interactionId: string): void {
    const rec = this.#d.interactions.get(interactionId);
    if (rec) this.withdraw(rec, 'time_out', 'returned', { reason: 'offer_timeout' });
  }

  // An offer that ends without the target: the interaction stays with (returns to) the first agent.
  private withdraw(rec: InteractionRecord, event: HandoffEvent, step: Step, data: Record<string, unknown>): void {
    if (!isInProgress(rec.handoff) && !transferOfferedTo(rec)) return;
    this.#steps.endWithout(rec, event, step, null, data).catch((err: unknown) => this.#steps.storeFailed(err));
  }
}

// Why a handoff in progress was cancelled when its chat ended, by who ended it.
const ENDED_BY: Readonly<Record<string, string>> = { customer: 'customer_ended', agent: 'agent_ended', system: 'chat_ended' };

const beingAccepted = () => conflict('transfer_being_accepted', "The transfer is being accepted: the call is ringing the new agent's phone.");

export { parseTarget } from './handoff-steps.ts';

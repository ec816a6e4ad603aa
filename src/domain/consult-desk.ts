import { conflict, unavailable } from './errors.ts';
import { chatEnded, consultOf } from './guards.ts';
import { isInProgress, type ConsultCallEvents } from './handoff.ts';
import type { HandoffSteps, TransferForm } from './handoff-steps.ts';
import { liveLeg, type InteractionRecord } from './interaction.ts';
import type { Interactions } from './interactions.ts';

// What the consult needs of the call (MultimediaDesk).
export interface ConsultMedia {
  startConsult(rec: InteractionRecord, target: { agentId: string; name: string }, events: ConsultCallEvents): Promise<void>;
  canRing(agentId: string): Promise<boolean>;
  consultAnswered(rec: InteractionRecord): Promise<void>;
  completeConsult(rec: InteractionRecord): Promise<void>;
  endConsult(rec: InteractionRecord, opts: { hangUp: boolean }): Promise<void>;
}

// Supervisors on the call: the ones who only listen leave it before it moves to another agent's phone.
export interface HandoverSupervision {
  endForHandover(rec: InteractionRecord): Promise<void>;
}

// Consults (warm transfers): the first agent, on a call with the customer, calls another agent's
// phone while the customer hears music on hold. The target is offered the interaction meanwhile (it
// reads the whole chat) but does not Accept: once the two agents have talked, the first agent's
// Complete transfer hands everything over, or Cancel transfer brings the customer back. A target's
// phone that does not answer or hangs up ends the consult the same way, and so does the customer
// hanging up (the chat stays). Runs on the leader, with HandoffDesk, which dispatches to it.
export class ConsultDesk {
  readonly #steps: HandoffSteps;
  readonly #interactions: Interactions;
  readonly #media: ConsultMedia;
  readonly #supervision: HandoverSupervision;
  // Consults being completed (the call moving to the target) or cancelled (the target's phone being
  // hung up): marked at once, so a second Complete or Cancel is refused instead of settling twice.
  readonly #settling = new Map<string, 'completing' | 'cancelling'>();
  // What the telephony reported while a consult was being completed: acted on if the completion fails.
  readonly #heldBack = new Map<string, Array<() => Promise<void>>>();

  constructor(deps: { steps: HandoffSteps; interactions: Interactions; media: ConsultMedia; supervision: HandoverSupervision }) {
    this.#steps = deps.steps;
    this.#interactions = deps.interactions;
    this.#media = deps.media;
    this.#supervision = deps.supervision;
  }

  async consult(agentId: string, interactionId: string, form: TransferForm): Promise<InteractionRecord> {
    const { rec, handoff } = await this.#steps.begin('consult', agentId, interactionId, form, (target) => this.phoneFor(target));
    // The call's consult is known at once (the customer's hold with it); the step is written meanwhile.
    const target = { agentId: handoff.toAgentId, name: handoff.toName ?? handoff.toAgentId };
    const calling = this.#media.startConsult(rec, target, this.callEvents(rec.id)).then(
      () => null,
      (err: unknown) => messageOf(err),
    );
    await this.#steps.record(rec, handoff, 'consulted', 'agent', agentId);
    const failed = await calling;
    if (failed !== null) {
      await this.#steps.endWithout(rec, 'cancel', 'cancelled', null, { reason: 'consult_failed', cause: failed });
      throw unavailable('consult_call_failed', `${handoff.toName}'s phone could not be called (${failed}): the customer is still with you.`);
    }
    this.#steps.emitOffered(rec);
    return rec;
  }

  async complete(agentId: string, interactionId: string): Promise<InteractionRecord> {
    const rec = this.#steps.agentMay('complete_transfer', agentId, interactionId);
    this.markSettling(interactionId, 'completing');
    try {
      await this.#supervision.endForHandover(rec);
      await this.#media.completeConsult(rec);
    } catch (err) {
      // The telephony ended the consult when the handover failed (the first agent is back with the
      // customer, or the call itself ended): what it reported meanwhile settles the handoff now.
      this.#settling.delete(interactionId);
      await this.replayHeldBack(interactionId);
      const what = isInProgress(rec.handoff) ? 'the consult goes on' : 'the consult ended';
      throw unavailable('transfer_call_failed', `The call could not be handed over (${messageOf(err)}): ${what}.`);
    }
    // Still settling while the handover is written: the call is Bob's, and a Cancel transfer clicked
    // now (the leg no longer names a consult) must not give the chat back to the first agent.
    try {
      this.#heldBack.delete(interactionId);
      // The customer ended the chat meanwhile (its end settled the consult and released the call).
      if (!isInProgress(rec.handoff)) throw chatEnded();
      await this.#steps.handOver(rec, 'complete', 'completed', agentId);
    } finally {
      this.#settling.delete(interactionId);
    }
    return rec;
  }

  // A Complete or Cancel transfer under way refuses another step on the same handoff.
  refuseWhileSettling(interactionId: string): void {
    const settling = this.#settling.get(interactionId);
    if (settling === 'completing') throw beingCompleted();
    if (settling === 'cancelling') throw beingCancelled();
  }

  // Cancel transfer during a consult (HandoffDesk checked the agent may).
  async cancel(agentId: string, rec: InteractionRecord): Promise<InteractionRecord> {
    this.markSettling(rec.id, 'cancelling');
    try {
      await this.#media.endConsult(rec, { hangUp: true });
    } catch (err) {
      throw unavailable('consult_not_ended', `The consult could not be ended (${messageOf(err)}): try Cancel transfer again.`);
    } finally {
      this.#settling.delete(rec.id);
    }
    // The ring timing out or the customer hanging up meanwhile may have settled it first: then nothing to write.
    await this.#steps.endWithout(rec, 'cancel', 'cancelled', agentId);
    return rec;
  }

  // The consult's call leg stopped being live (released, failed) while the handoff went on, whatever
  // the telephony reported of the consult's own phone: the consult ends with the call.
  callGone(rec: InteractionRecord): void {
    if (rec.handoff?.kind !== 'consult' || !isInProgress(rec.handoff) || liveLeg(rec)) return;
    void this.whileConsulting(rec.id, (r) => this.#steps.endWithout(r, 'cancel', 'cancelled', null, { reason: 'call_ended' }));
  }

  // An admin disabled the consulted agent: their phone is hung up, the customer is back with the first agent.
  // The consulted agent can no longer take the chat (disabled, logged out): the consult ends, the
  // customer back with the first agent.
  targetGone(rec: InteractionRecord, reason: 'target_disabled' | 'target_logged_out'): void {
    void this.whileConsulting(rec.id, async (r) => {
      await this.#media.endConsult(r, { hangUp: true });
      await this.#steps.endWithout(r, 'cancel', 'cancelled', null, { reason });
    });
  }

  // A target with no phone registered is refused before anything is written (the telephony may not be
  // able to tell: then the call itself says).
  private async phoneFor(target: { agentId: string; name: string }): Promise<void> {
    const ringable = await this.#media.canRing(target.agentId).catch(() => true);
    if (!ringable) throw unavailable('consult_call_failed', `${target.name}'s phone could not be called (no softphone or desk phone registered): the customer is still with you.`);
  }

  // A consult does not survive a restart: the customer goes back to the first agent (the leg is off
  // hold before the telephony reconnects, so reconciliation bridges the two again and hangs up the
  // target's phone, which belongs to no live leg).
  recover(rec: InteractionRecord): void {
    const failed = (err: unknown) => this.#steps.storeFailed(err);
    // Settled first: what is stored of the consult (on the call leg) tells the handoff's kind.
    this.#steps.endWithout(rec, 'cancel', 'cancelled', null, { reason: 'restart' }).catch(failed);
    this.#media.endConsult(rec, { hangUp: false }).catch(failed);
  }

  private callEvents(interactionId: string): ConsultCallEvents {
    return {
      answered: () => void this.whileConsulting(interactionId, async (rec) => {
        await this.#media.consultAnswered(rec);
        this.#steps.emitOffered(rec);
      }),
      ended: (cause) => void this.whileConsulting(interactionId, async (rec) => {
        const reason = consultOf(rec)?.state === 'ringing' ? 'target_no_answer' : 'target_hung_up';
        await this.#media.endConsult(rec, { hangUp: false });
        await this.#steps.endWithout(rec, 'cancel', 'cancelled', null, { reason, cause });
      }),
      // The call's own end (released, customer_hangup) is written by its events.
      callEnded: (cause) => void this.whileConsulting(interactionId, (rec) => this.#steps.endWithout(rec, 'cancel', 'cancelled', null, { reason: 'call_ended', cause })),
    };
  }

  // A consult in progress: told by the stored call leg, or by the handoff once the leg is no longer live.
  // Never rejects: a failed write is reported as the store's.
  private async whileConsulting(interactionId: string, act: (rec: InteractionRecord) => Promise<void>): Promise<void> {
    const rec = this.#interactions.get(interactionId);
    if (!rec || !(consultOf(rec) || (rec.handoff?.kind === 'consult' && isInProgress(rec.handoff)))) return;
    if (this.#settling.get(interactionId) === 'completing') {
      const held = this.#heldBack.get(interactionId) ?? [];
      held.push(() => this.whileConsulting(interactionId, act));
      this.#heldBack.set(interactionId, held);
      return;
    }
    await act(rec).catch((err: unknown) => this.#steps.storeFailed(err));
  }

  private async replayHeldBack(interactionId: string): Promise<void> {
    const held = this.#heldBack.get(interactionId) ?? [];
    this.#heldBack.delete(interactionId);
    for (const act of held) await act();
  }

  private markSettling(interactionId: string, how: 'completing' | 'cancelling'): void {
    this.refuseWhileSettling(interactionId);
    this.#settling.set(interactionId, how);
  }
}

const beingCancelled = () => conflict('transfer_being_cancelled', 'The transfer is being cancelled: the other agent’s phone is being hung up.');
const beingCompleted = () => conflict('transfer_being_completed', 'The transfer is being completed: the call is moving to the other agent.');

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

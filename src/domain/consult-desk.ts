import { conflict, unavailable } from './errors.ts';
import { consultOf } from './guards.ts';
import type { ConsultCallEvents } from './handoff.ts';
import type { HandoffSteps, TransferForm } from './handoff-steps.ts';
import type { InteractionRecord } from './interaction.ts';
import type { Interactions } from './interactions.ts';

// What the consult needs of the call (MultimediaDesk).
export interface ConsultMedia {
  startConsult(rec: InteractionRecord, target: { agentId: string; name: string }, events: ConsultCallEvents): Promise<void>;
  consultAnswered(rec: InteractionRecord): Promise<void>;
  completeConsult(rec: InteractionRecord): Promise<void>;
  endConsult(rec: InteractionRecord, opts: { hangUp: boolean }): Promise<void>;
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
  // Consults being completed (the call moving to the target): not cancelled or ended meanwhile.
  readonly #completing = new Set<string>();

  constructor(deps: { steps: HandoffSteps; interactions: Interactions; media: ConsultMedia }) {
    this.#steps = deps.steps;
    this.#interactions = deps.interactions;
    this.#media = deps.media;
  }

  async consult(agentId: string, interactionId: string, form: TransferForm): Promise<InteractionRecord> {
    const { rec, handoff } = await this.#steps.begin('consult', agentId, interactionId, form);
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
    if (this.#completing.has(interactionId)) throw beingCompleted();
    this.#completing.add(interactionId);
    try {
      await this.#media.completeConsult(rec);
    } catch (err) {
      throw unavailable('transfer_call_failed', `The call could not be handed over (${messageOf(err)}): the consult goes on.`);
    } finally {
      this.#completing.delete(interactionId);
    }
    await this.#steps.handOver(rec, 'complete', 'completed', agentId);
    return rec;
  }

  // Cancel transfer during a consult (HandoffDesk checked the agent may).
  async cancel(agentId: string, rec: InteractionRecord): Promise<InteractionRecord> {
    if (this.#completing.has(rec.id)) throw beingCompleted();
    try {
      await this.#media.endConsult(rec, { hangUp: true });
    } catch (err) {
      throw unavailable('consult_not_ended', `The consult could not be ended (${messageOf(err)}): try Cancel transfer again.`);
    }
    await this.#steps.endWithout(rec, 'cancel', 'cancelled', agentId);
    return rec;
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
      answered: () => this.whileConsulting(interactionId, async (rec) => {
        await this.#media.consultAnswered(rec);
        this.#steps.emitOffered(rec);
      }),
      ended: (cause) => this.whileConsulting(interactionId, async (rec) => {
        const reason = consultOf(rec)?.state === 'ringing' ? 'target_no_answer' : 'target_hung_up';
        await this.#media.endConsult(rec, { hangUp: false });
        await this.#steps.endWithout(rec, 'cancel', 'cancelled', null, { reason, cause });
      }),
      // The call's own end (released, customer_hangup) is written by its events.
      callEnded: (cause) => this.whileConsulting(interactionId, (rec) => this.#steps.endWithout(rec, 'cancel', 'cancelled', null, { reason: 'call_ended', cause })),
    };
  }

  private whileConsulting(interactionId: string, act: (rec: InteractionRecord) => Promise<void>): void {
    const rec = this.#interactions.get(interactionId);
    if (!rec || !consultOf(rec) || this.#completing.has(interactionId)) return;
    act(rec).catch((err: unknown) => this.#steps.storeFailed(err));
  }
}

const beingCompleted = () => conflict('transfer_being_completed', 'The transfer is being completed: the call is moving to the other agent.');

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

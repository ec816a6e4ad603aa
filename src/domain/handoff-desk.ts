import type { AgentState } from './agent-presence.ts';
import type { Directory, Clock, Timers } from './ports.ts';
import type { DomainEvent, DomainEvents } from './events.ts';
import { conflict, invalid, unavailable } from './errors.ts';
import { assertHandoffMay, transferOfferedTo, transferTargetRefusal, type MediaCapabilities } from './guards.ts';
import { applyHandoffEvent, HANDOFF_NOTE_MAX, HANDOFF_START, isInProgress, type Handoff, type HandoffEvent, type HandoffTarget } from './handoff.ts';
import type { InteractionRecord, Party } from './interaction.ts';
import type { Interactions } from './interactions.ts';
import { chooseAgent } from './routing.ts';

// What the desk needs of routing (ContactCenter): the agents' live state, and a new round of offers
// once an agent has room again.
export interface HandoffRouting {
  agents(): AgentState[];
  dispatch(): void;
}

export interface HandoffDeskDeps {
  interactions: Interactions;
  routing: HandoffRouting;
  directory: Directory;
  events: DomainEvents;
  clock: Clock;
  timers: Timers;
  // The call and video components (MultimediaDesk): a live call moves with the chat on Accept.
  media: { readonly capabilities: MediaCapabilities; moveCall(rec: InteractionRecord, agentId: string): Promise<void> };
  config: { offerTimeoutMs: number; maxChatsPerAgent: number };
}

export interface TransferForm {
  // "agent:<id>" or "service:<id>": the Transfer to field.
  to: unknown;
  note?: unknown;
}

type Step = 'offered' | 'accepted' | 'returned' | 'cancelled';

// Transfers (cold) of a whole interaction from one agent to another. The target is offered the
// interaction (it sees the timeline so far: rec.offeredTo) while the first agent keeps handling it;
// on Accept it moves and the first agent is free; unanswered, it returns to the first agent. Runs on
// the leader (web/cluster/commands.ts), like routing.
export class HandoffDesk {
  readonly #d: HandoffDeskDeps;
  readonly #timers = new Map<string, { cancel(): void }>();
  // Transfers whose call is being moved to the new agent's phone: not cancelled or accepted twice.
  readonly #accepting = new Set<string>();

  constructor(deps: HandoffDeskDeps) {
    this.#d = deps;
  }

  async transfer(agentId: string, interactionId: string, form: TransferForm): Promise<InteractionRecord> {
    this.agentMay('transfer', agentId, interactionId);
    const target = parseTarget(form.to);
    const note = parseNote(form.note);
    const service = target.kind === 'service' ? await this.#d.directory.getService(target.serviceId) : undefined;
    const names = new Map((await this.#d.directory.listAgents()).map((a) => [a.id, a.displayName]));
    // Checked again after the lookup: a second Transfer that arrived meanwhile is refused here.
    const rec = this.agentMay('transfer', agentId, interactionId);
    const to = this.targetAgent(target, agentId);
    const refusal = transferTargetRefusal({ fromAgentId: agentId, target, agent: to, service });
    if (refusal) throw refusal;
    const toAgent = to!;
    const handoff: Handoff = {
      kind: 'transfer',
      state: HANDOFF_START.transfer,
      fromAgentId: agentId,
      toAgentId: toAgent.agentId,
      toServiceId: target.kind === 'service' ? target.serviceId : null,
      note,
      startedAt: this.#d.clock.now(),
      fromName: names.get(agentId) ?? agentId,
      toName: names.get(toAgent.agentId) ?? toAgent.agentId,
    };
    rec.handoff = handoff;
    rec.offeredTo = toAgent.agentId;
    rec.offeredAt = handoff.startedAt;
    toAgent.pendingOffer = rec.id;
    this.#timers.set(rec.id, this.#d.timers.schedule(this.#d.config.offerTimeoutMs, () => this.timeOut(rec.id)));
    await this.record(rec, handoff, 'offered', 'agent', agentId);
    this.#d.events.emit({ type: 'interaction_changed', interaction: rec, previousOfferedTo: null });
    return rec;
  }

  async accept(agentId: string, interactionId: string): Promise<InteractionRecord> {
    const offered = this.agentMay('accept_transfer', agentId, interactionId);
    if (this.#accepting.has(interactionId)) throw beingAccepted();
    // The call first: its new phone answering is what makes the handover. The offer's time stops
    // meanwhile; a phone that does not answer returns the whole interaction to the first agent.
    this.#accepting.add(interactionId);
    this.#timers.get(interactionId)?.cancel();
    try {
      await this.#d.media.moveCall(offered, agentId);
    } catch (err) {
      this.withdraw(offered, 'time_out', 'returned', { reason: 'call_not_moved' });
      throw unavailable('transfer_call_failed', `The call could not be moved to your phone (${err instanceof Error ? err.message : String(err)}): the customer is still with the first agent.`);
    } finally {
      this.#accepting.delete(interactionId);
    }
    const rec = this.agentMay('accept_transfer', agentId, interactionId);
    const handoff = this.settle(rec, 'accept');
    const agents = this.#d.routing.agents();
    const from = agents.find((a) => a.agentId === handoff.fromAgentId);
    const to = agents.find((a) => a.agentId === agentId);
    if (from?.interactions.delete(rec.id) && from.interactions.size === 0) from.idleSince = this.#d.clock.now();
    to?.interactions.add(rec.id);
    rec.agentId = agentId;
    await this.record(rec, handoff, 'accepted', 'agent', agentId);
    // Heard by the first agent too (as the one it was "offered" to before): its desktop lets it go.
    this.#d.events.emit({ type: 'interaction_changed', interaction: rec, previousOfferedTo: handoff.fromAgentId });
    this.#d.routing.dispatch();
    return rec;
  }

  async cancel(agentId: string, interactionId: string): Promise<InteractionRecord> {
    const rec = this.agentMay('cancel_transfer', agentId, interactionId);
    if (this.#accepting.has(interactionId)) throw beingAccepted();
    const handoff = this.settle(rec, 'cancel');
    await this.record(rec, handoff, 'cancelled', 'agent', agentId);
    this.emitWithdrawn(rec, handoff);
    return rec;
  }

  // The rules' events on the leader: a customer who ends the chat, or a target who stops being Ready
  // (Not Ready, disabled), ends the offer at once, before routing acts on it.
  onEvent(event: DomainEvent): void {
    if (event.type === 'interaction_changed' && event.interaction.state === 'ended') this.withdraw(event.interaction, 'cancel', 'cancelled', { reason: 'customer_ended' });
    if (event.type === 'presence_changed' && event.agent.presence !== 'ready') {
      const offered = this.#d.interactions.all().filter((rec) => transferOfferedTo(rec) === event.agent.agentId);
      for (const rec of offered) this.withdraw(rec, 'time_out', 'returned', { reason: 'target_not_ready' });
    }
  }

  // A transfer's offer does not survive a restart (its timer is gone): on the new leader the
  // interaction is back with the agent who had it, and the timeline says so.
  recover(): void {
    for (const rec of this.#d.interactions.all()) if (transferOfferedTo(rec)) this.withdraw(rec, 'time_out', 'returned', { reason: 'restart' });
  }

  shutdown(): void {
    for (const timer of this.#timers.values()) timer.cancel();
    this.#timers.clear();
  }

  private timeOut(interactionId: string): void {
    const rec = this.#d.interactions.get(interactionId);
    if (rec) this.withdraw(rec, 'time_out', 'returned', { reason: 'offer_timeout' });
  }

  // An offer that ends without the target: the interaction stays with (returns to) the first agent.
  private withdraw(rec: InteractionRecord, event: HandoffEvent, step: Step, data: Record<string, unknown>): void {
    if (!isInProgress(rec.handoff) && !transferOfferedTo(rec)) return;
    const handoff = this.settle(rec, event);
    this.record(rec, handoff, step, 'system', null, data).catch((err: unknown) => this.#d.events.emit({ type: 'store_failed', error: err }));
    if (rec.state !== 'ended') this.emitWithdrawn(rec, handoff);
  }

  // The handoff leaves the interaction; its timer and the target's pending offer go with it.
  private settle(rec: InteractionRecord, event: HandoffEvent): Handoff {
    const handoff = rec.handoff ?? storedHandoff(rec);
    applyHandoffEvent(handoff, event);
    this.#timers.get(rec.id)?.cancel();
    this.#timers.delete(rec.id);
    const to = this.#d.routing.agents().find((a) => a.agentId === handoff.toAgentId);
    if (to && to.pendingOffer === rec.id) to.pendingOffer = null;
    if (rec.offeredTo === handoff.toAgentId) {
      rec.offeredTo = null;
      rec.offeredAt = null;
    }
    rec.handoff = null;
    return handoff;
  }

  private emitWithdrawn(rec: InteractionRecord, handoff: Handoff): void {
    this.#d.events.emit({ type: 'interaction_changed', interaction: rec, previousOfferedTo: handoff.toAgentId });
    this.#d.routing.dispatch();
  }

  private record(rec: InteractionRecord, handoff: Handoff, step: Step, author: Party, agentId: string | null, extra: Record<string, unknown> = {}) {
    return this.#d.interactions.append(rec, {
      kind: 'handoff',
      author,
      agentId,
      text: step === 'offered' ? handoff.note : null,
      data: {
        step,
        kind: handoff.kind,
        fromAgentId: handoff.fromAgentId,
        toAgentId: handoff.toAgentId,
        toServiceId: handoff.toServiceId,
        fromName: handoff.fromName ?? handoff.fromAgentId,
        toName: handoff.toName ?? handoff.toAgentId,
        ...extra,
      },
    });
  }

  private targetAgent(target: HandoffTarget, fromAgentId: string): AgentState | undefined {
    const agents = this.#d.routing.agents();
    if (target.kind === 'agent') return agents.find((a) => a.agentId === target.agentId);
    const others = agents.filter((a) => a.agentId !== fromAgentId);
    return chooseAgent(target.serviceId, others, this.#d.config.maxChatsPerAgent);
  }

  private agentMay(action: 'transfer' | 'accept_transfer' | 'cancel_transfer', agentId: string, interactionId: string): InteractionRecord {
    const rec = this.#d.interactions.require(interactionId);
    assertHandoffMay(action, rec, agentId, this.#d.media.capabilities);
    return rec;
  }
}

const beingAccepted = () => conflict('transfer_being_accepted', "The transfer is being accepted: the call is ringing the new agent's phone.");

// What the stored interaction tells of a transfer whose details were held by another process.
function storedHandoff(rec: InteractionRecord): Handoff {
  return { kind: 'transfer', state: 'offered', fromAgentId: rec.agentId ?? '', toAgentId: rec.offeredTo ?? '', toServiceId: null, note: null, startedAt: rec.offeredAt ?? 0 };
}

export function parseTarget(to: unknown): HandoffTarget {
  const match = typeof to === 'string' ? /^(agent|service):(.{1,200})$/.exec(to) : null;
  if (!match) throw invalid('invalid_transfer_target', 'Transfer to must name an agent ("agent:<id>") or a service ("service:<id>").');
  return match[1] === 'agent' ? { kind: 'agent', agentId: match[2]! } : { kind: 'service', serviceId: match[2]! };
}

function parseNote(note: unknown): string | null {
  if (note === undefined || note === null || note === '') return null;
  if (typeof note !== 'string') throw invalid('invalid_note', 'The note must be text.');
  if (note.length > HANDOFF_NOTE_MAX) throw invalid('note_too_long', `The note is at most ${HANDOFF_NOTE_MAX} characters.`);
  return note.trim() || null;
}

import type { AgentState } from './agent-presence.ts';
import type { Directory, Clock, Timers } from './ports.ts';
import type { Agent, Service } from './directory.ts';
import type { DomainEvents } from './events.ts';
import { invalid } from './errors.ts';
import { assertHandoffMay, transferOfferedTo, transferTargetRefusal, type HandoffAction, type MediaCapabilities, type Verdict } from './guards.ts';
import { applyHandoffEvent, isInProgress, HANDOFF_NOTE_MAX, HANDOFF_START, type Handoff, type HandoffEvent, type HandoffKind, type HandoffTarget } from './handoff.ts';
import { liveLeg, type InteractionRecord, type Party } from './interaction.ts';
import type { Interactions } from './interactions.ts';
import { chooseAgent } from './routing.ts';

// What the desks need of routing (ContactCenter): the agents' live state, and a new round of offers
// once an agent has room again.
export interface HandoffRouting {
  agents(): AgentState[];
  dispatch(): void;
  agentChanged(agent: Agent): Promise<void>;
}

export interface HandoffStepsDeps {
  interactions: Interactions;
  routing: HandoffRouting;
  directory: Directory;
  events: DomainEvents;
  clock: Clock;
  timers: Timers;
  capabilities: MediaCapabilities;
  config: { maxChatsPerAgent: number };
}

export interface TransferForm {
  // "agent:<id>" or "service:<id>": the Transfer to field.
  to: unknown;
  note?: unknown;
}

export type TargetCheck = (target: { agentId: string; name: string }) => Promise<void>;

export type Step = 'offered' | 'accepted' | 'returned' | 'cancelled' | 'consulted' | 'completed';

// The steps every handoff shares, transfer (handoff-desk.ts) or consult (consult-desk.ts): it starts
// offered to its target (who sees the timeline so far: rec.offeredTo), it is settled (the handoff
// leaves the interaction, with its timer and the target's pending offer), it hands the interaction
// over or returns it; each step on the timeline with who and when.
export class HandoffSteps {
  readonly #d: HandoffStepsDeps;
  readonly #timers = new Map<string, { cancel(): void }>();

  constructor(deps: HandoffStepsDeps) {
    this.#d = deps;
  }

  // Checks the agent may start it and the target may take it (`check`: what else the target needs,
  // asked before anything changes); then the target is offered it.
  async begin(kind: HandoffKind, agentId: string, interactionId: string, form: TransferForm, check?: TargetCheck): Promise<{ rec: InteractionRecord; handoff: Handoff }> {
    const first = this.agentMay(kind, agentId, interactionId);
    const target = parseTarget(form.to);
    const note = parseNote(form.note);
    const service = target.kind === 'service' ? await this.#d.directory.getService(target.serviceId) : undefined;
    const names = new Map((await this.#d.directory.listAgents()).map((a) => [a.id, a.displayName]));
    // A consult, or a transfer that takes a live call along, rings the target's phone.
    const ringsTarget = kind === 'consult' || liveLeg(first) !== undefined;
    const early = this.target(target, agentId, service, ringsTarget);
    if (check && early.agent && !early.refusal) {
      await check({ agentId: early.agent.agentId, name: names.get(early.agent.agentId) ?? early.agent.agentId });
    }
    // Checked again after the lookup: a second Transfer or Consult that arrived meanwhile is refused here.
    const rec = this.agentMay(kind, agentId, interactionId);
    const { agent: to, refusal } = this.target(target, agentId, service, ringsTarget);
    if (refusal) throw refusal;
    const toAgent = to!;
    const handoff: Handoff = {
      kind,
      state: HANDOFF_START[kind],
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
    return { rec, handoff };
  }

  schedule(rec: InteractionRecord, ms: number, then: () => void): void {
    this.#timers.get(rec.id)?.cancel(); // a handoff's timer left behind must not end the next one
    this.#timers.set(rec.id, this.#d.timers.schedule(ms, then));
  }

  stopTimer(interactionId: string): void {
    this.#timers.get(interactionId)?.cancel();
  }

  // The interaction is the target's now: the first agent is free, the step on the timeline, both
  // desktops told (the first agent's as the one it was "offered" to before: it lets it go).
  async handOver(rec: InteractionRecord, event: HandoffEvent, step: Step, by: string): Promise<void> {
    const handoff = this.settle(rec, event);
    const agents = this.#d.routing.agents();
    const from = agents.find((a) => a.agentId === handoff.fromAgentId);
    const to = agents.find((a) => a.agentId === handoff.toAgentId);
    if (from?.interactions.delete(rec.id) && from.interactions.size === 0) from.idleSince = this.#d.clock.now();
    to?.interactions.add(rec.id);
    rec.agentId = handoff.toAgentId;
    rec.heldSince = this.#d.clock.now();
    await this.record(rec, handoff, step, 'agent', by);
    this.#d.events.emit({ type: 'interaction_changed', interaction: rec, previousOfferedTo: handoff.fromAgentId });
    this.#d.routing.dispatch();
  }

  // The handoff ends without the target (cancelled, returned): the interaction stays with the first agent.
  // Nothing when it was settled already (two ends racing: a Cancel and the ring timing out).
  async endWithout(rec: InteractionRecord, event: HandoffEvent, step: Step, by: string | null, extra: Record<string, unknown> = {}): Promise<void> {
    if (!isInProgress(rec.handoff) && !transferOfferedTo(rec)) return;
    const handoff = this.settle(rec, event);
    const written = this.record(rec, handoff, step, by ? 'agent' : 'system', by, extra);
    if (rec.state !== 'ended') {
      this.#d.events.emit({ type: 'interaction_changed', interaction: rec, previousOfferedTo: handoff.toAgentId });
      this.#d.routing.dispatch();
    }
    await written;
  }

  // The handoff leaves the interaction; its timer and the target's pending offer go with it.
  settle(rec: InteractionRecord, event: HandoffEvent): Handoff {
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

  async record(rec: InteractionRecord, handoff: Handoff, step: Step, author: Party, agentId: string | null, extra: Record<string, unknown> = {}) {
    // A handoff read back from the store (after a restart) has ids only: the timeline shows names.
    if (!handoff.fromName || !handoff.toName) {
      const names = new Map((await this.#d.directory.listAgents()).map((a) => [a.id, a.displayName]));
      handoff.fromName ??= names.get(handoff.fromAgentId);
      handoff.toName ??= names.get(handoff.toAgentId);
    }
    return this.#d.interactions.append(rec, {
      kind: 'handoff',
      author,
      agentId,
      text: step === 'offered' || step === 'consulted' ? handoff.note : null,
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

  emitOffered(rec: InteractionRecord): void {
    this.#d.events.emit({ type: 'interaction_changed', interaction: rec, previousOfferedTo: null });
  }

  storeFailed(err: unknown): void {
    this.#d.events.emit({ type: 'store_failed', error: err });
  }

  shutdown(): void {
    for (const timer of this.#timers.values()) timer.cancel();
    this.#timers.clear();
  }

  agentMay(action: HandoffAction, agentId: string, interactionId: string): InteractionRecord {
    const rec = this.#d.interactions.require(interactionId);
    assertHandoffMay(action, rec, agentId, this.#d.capabilities);
    return rec;
  }

  // The target agent (for a service, the Ready agent routing chooses) and why it may not take it.
  private target(target: HandoffTarget, fromAgentId: string, service: Service | undefined, ringsTarget: boolean): { agent: AgentState | undefined; refusal: Verdict } {
    const agents = this.#d.routing.agents();
    const free = (a: AgentState) => !ringsTarget || !this.onCall(a);
    const agent =
      target.kind === 'agent'
        ? agents.find((a) => a.agentId === target.agentId)
        : chooseAgent(target.serviceId, agents.filter((a) => a.agentId !== fromAgentId && free(a)), this.#d.config.maxChatsPerAgent);
    return { agent, refusal: transferTargetRefusal({ fromAgentId, target, agent, service, onCall: agent !== undefined && !free(agent) }) };
  }

  // On a call in a chat of their own: their phone is taken.
  private onCall(agent: AgentState): boolean {
    return [...agent.interactions].some((id) => {
      const rec = this.#d.interactions.get(id);
      return rec !== undefined && liveLeg(rec) !== undefined;
    });
  }
}

// What the stored interaction tells of a handoff whose details were held by another process.
function storedHandoff(rec: InteractionRecord): Handoff {
  const consult = liveLeg(rec)?.consult;
  return {
    kind: consult ? 'consult' : 'transfer',
    state: consult ? 'consulting' : 'offered',
    fromAgentId: rec.agentId ?? '',
    toAgentId: rec.offeredTo ?? '',
    toServiceId: null,
    note: null,
    startedAt: rec.offeredAt ?? 0,
  };
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

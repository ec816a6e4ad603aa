import { randomUUID } from 'node:crypto';
import type { CallLeg } from './call-leg.ts';
import { watchesTheFloor, type Agent } from './directory.ts';
import { forbidden, notFound, unavailable } from './errors.ts';
import { assertSupervisorMay, supervisionOf, type MediaCapabilities, type SupervisorAction } from './guards.ts';
import { liveLeg, type InteractionRecord, type Party } from './interaction.ts';
import type { Interactions } from './interactions.ts';
import type { Clock, Directory } from './ports.ts';
import {
  applySupervisionEvent,
  canApplySupervisionEvent,
  isSupervising,
  type CallSupervision,
  type Supervision,
  type SupervisionEvent,
  type SupervisionMode,
  type SupervisionReport,
} from './supervision.ts';
import type { EntryDraft } from './timeline.ts';

export interface SupervisionDeskDeps {
  interactions: Interactions;
  telephony: CallSupervision | null;
  directory: Pick<Directory, 'getAgent'>;
  clock: Clock;
  // The media's capabilities (MultimediaDesk's): whether calling is configured and up now.
  capabilities: MediaCapabilities;
}

// Listen, Whisper, Barge and Stop on a call in progress. What is allowed when is the guard table's
// (guards.ts) and the supervision's state table's (supervision.ts); this carries it out through the
// telephony and writes every join, mode change and leave on the interaction's timeline.
export class SupervisionDesk {
  readonly #d: SupervisionDeskDeps;

  constructor(deps: SupervisionDeskDeps) {
    this.#d = deps;
  }

  get capabilities(): MediaCapabilities {
    return this.#d.capabilities;
  }

  // Any interaction, open or stored, for the supervisor's pages (their gate has checked the role).
  async interaction(interactionId: string): Promise<InteractionRecord> {
    const rec = await this.#d.interactions.find(interactionId);
    if (!rec) throw notFound('interaction_not_found', 'No interaction with this id.');
    return rec;
  }

  // Joins the call (the supervisor's phone rings, then they listen), or goes back to listening.
  async listen(supervisorId: string, interactionId: string): Promise<Supervision> {
    const rec = await this.may('listen', supervisorId, interactionId);
    const current = supervisionOf(rec, supervisorId);
    if (current) return this.change(rec, current, 'listen');
    const leg = liveLeg(rec)!;
    const supervision: Supervision = { id: randomUUID(), supervisorId, state: 'joining', startedAt: this.#d.clock.now(), answeredAt: null, endedAt: null, cause: null };
    (leg.supervisions ??= []).push(supervision);
    // Rung while the entry is written, as a call is (MultimediaDesk.callCustomer).
    const joining = this.#d.telephony!.join({ supervisionId: supervision.id, legId: leg.id, interactionId: rec.id, supervisorId }).then(
      () => null,
      (err: unknown) => err as Error,
    );
    await this.record(rec, leg, supervision, 'agent');
    const failed = await joining;
    // Stopped while the phone was being rung (the telephony had nothing to hang up yet): it is now.
    if (!failed && !isSupervising(supervision)) await this.#d.telephony!.leave(supervision.id);
    if (failed && isSupervising(supervision)) {
      applySupervisionEvent(supervision, 'fail', this.#d.clock.now(), failed.message);
      await this.record(rec, leg, supervision, 'system');
    }
    return supervision;
  }

  async whisper(supervisorId: string, interactionId: string): Promise<Supervision> {
    const rec = await this.may('whisper', supervisorId, interactionId);
    return this.change(rec, supervisionOf(rec, supervisorId)!, 'whisper');
  }

  async barge(supervisorId: string, interactionId: string): Promise<Supervision> {
    const rec = await this.may('barge', supervisorId, interactionId);
    return this.change(rec, supervisionOf(rec, supervisorId)!, 'barge');
  }

  async stop(supervisorId: string, interactionId: string): Promise<Supervision> {
    const rec = await this.may('stop', supervisorId, interactionId);
    const supervision = supervisionOf(rec, supervisorId)!;
    await this.#d.telephony?.leave(supervision.id);
    // Off already (their phone hung up, the call ended, while it left): that is the answer.
    if (!canApplySupervisionEvent(supervision, 'stop')) return supervision;
    return this.apply(rec, supervision, 'stop', 'agent');
  }

  // The call is about to move to another agent's phone (Accept of a transfer, Complete transfer): the
  // supervisors leave the first agent's phone first. The guards let a handover start only while they
  // just listen, so the agents are never told (silent monitoring stays silent); a Whisper clicked just
  // before, still in flight, ends here too rather than leave the supervisor on a phone that goes. They
  // may Listen again, to the new agent.
  async endForHandover(rec: InteractionRecord): Promise<void> {
    for (const supervision of liveLeg(rec)?.supervisions ?? []) {
      if (!isSupervising(supervision)) continue;
      await this.#d.telephony?.leave(supervision.id);
      if (canApplySupervisionEvent(supervision, 'handover')) await this.apply(rec, supervision, 'handover', 'system');
    }
  }

  // An admin disabled a supervisor or took the role away: every call they are on is left, as Stop would
  // (Stop is no longer theirs to click, and nobody else may stop their supervision).
  async supervisorChanged(agent: Pick<Agent, 'id' | 'role' | 'disabled'>): Promise<void> {
    if (watchesTheFloor(agent)) return;
    for (const rec of this.#d.interactions.all()) {
      const supervision = supervisionOf(rec, agent.id);
      if (!supervision) continue;
      await this.#d.telephony?.leave(supervision.id);
      if (canApplySupervisionEvent(supervision, 'stop')) await this.apply(rec, supervision, 'stop', 'system');
    }
  }

  // Progress of the supervisor's phone, reported by the telephony. Reports that no longer apply (a
  // hangup after Stop) are ignored: the state table decides.
  // They may come once the chat has ended (End session released the call): written on the record as it
  // is then, after any entry of its closing.
  async onSupervisionEvent(interactionId: string, supervisionId: string, event: SupervisionReport, cause?: string): Promise<void> {
    await this.#d.interactions.closing.report(interactionId, (rec) => {
      const leg = rec.callLegs.find((l) => l.supervisions?.some((s) => s.id === supervisionId));
      const supervision = leg?.supervisions!.find((s) => s.id === supervisionId);
      if (!leg || !supervision || !canApplySupervisionEvent(supervision, event)) return null;
      applySupervisionEvent(supervision, event, this.#d.clock.now(), cause);
      return this.entry(leg, supervision, 'system');
    });
  }

  // The telephony acts first: a mode it could not set leaves the supervision as it was.
  private async change(rec: InteractionRecord, supervision: Supervision, mode: SupervisionMode): Promise<Supervision> {
    // The telephony could not (the phone went meanwhile, Asterisk slow to snoop): the supervisor is told
    // why, and the mode is as it was.
    await this.#d.telephony!.setMode(supervision.id, mode).catch((err: unknown) => {
      throw unavailable('supervision_mode_failed', `Could not switch to ${mode}: ${err instanceof Error ? err.message : String(err)}. Try again.`);
    });
    return this.apply(rec, supervision, mode, 'agent');
  }

  private async apply(rec: InteractionRecord, supervision: Supervision, event: SupervisionEvent, author: Party, cause?: string): Promise<Supervision> {
    applySupervisionEvent(supervision, event, this.#d.clock.now(), cause);
    const leg = rec.callLegs.find((l) => l.supervisions?.includes(supervision))!;
    await this.record(rec, leg, supervision, author);
    return supervision;
  }

  // Roles are checked here too, not only by the pages: a forwarded command comes from another node.
  private async may(action: SupervisorAction, supervisorId: string, interactionId: string): Promise<InteractionRecord> {
    const supervisor = await this.#d.directory.getAgent(supervisorId);
    if (!watchesTheFloor(supervisor)) {
      throw forbidden('supervisors_only', 'Only supervisors and admins may listen to calls.');
    }
    const rec = this.#d.interactions.require(interactionId);
    assertSupervisorMay(action, rec, supervisorId, this.#d.capabilities);
    return rec;
  }

  private record(rec: InteractionRecord, leg: CallLeg, supervision: Supervision, author: Party) {
    return this.#d.interactions.append(rec, this.entry(leg, supervision, author));
  }

  private entry(leg: CallLeg, supervision: Supervision, author: Party): EntryDraft {
    return { kind: 'supervision', author, agentId: supervision.supervisorId, data: { ...supervision, legId: leg.id } };
  }
}

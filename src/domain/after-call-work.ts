import type { AgentState, Presence, PresenceEvent } from './agent-presence.ts';
import type { ClosingTimeline } from './closing-timeline.ts';
import { closedPages, type ClosureStore, type WrapUpRecord } from './closure-ports.ts';
import { DomainError, forbidden, notFound } from './errors.ts';
import type { Service } from './directory.ts';
import type { DomainEvent } from './events.ts';
import type { InteractionRecord } from './interaction.ts';
import type { Interactions } from './interactions.ts';
import type { Clock, Directory, Timers } from './ports.ts';
import { alreadyWrappedUp, checkWrapUp, notEndedYet, wrapUpHolder, wrapUpSettings, type AfterWrapUp, type WrapUpForm, type WrapUpSettings } from './wrap-up.ts';

// How after-call work changes an agent's presence: ContactCenter.changePresence (heard, routed, stored;
// a failure to store it is reported).
export interface PresenceControl {
  agentState(agentId: string): AgentState;
  agents(): readonly AgentState[];
  changePresence(agentId: string, event: PresenceEvent): void;
}

export interface AfterCallWorkDeps {
  interactions: Interactions;
  closing: ClosingTimeline;
  closures: ClosureStore;
  directory: Directory;
  clock: Clock;
  timers: Timers;
  presence: PresenceControl;
}

interface Pending {
  // What Done brings the agent back to: its presence before the wrap-up began.
  resume: AfterWrapUp;
  // The wrap-up time of each interaction awaiting Done.
  open: Map<string, { cancel(): void }>;
}

// After-call work: when an interaction the agent handled ends, the agent is in wrap-up (no offers)
// until Done for every interaction it awaits, or until each one's wrap-up time runs out (then Ready or
// Not Ready, per the service). Done records the disposition and notes once, on the timeline too.
export class AfterCallWork {
  readonly #d: AfterCallWorkDeps;
  readonly #pending = new Map<string, Pending>();
  readonly #settings = new Map<string, WrapUpSettings>();

  constructor(deps: AfterCallWorkDeps) {
    this.#d = deps;
  }

  // Heard from the rules on the node that runs them (the leader). Synchronous up to the presence
  // change, so routing, which runs right after the chat ends, already sees the agent in wrap-up.
  onEvent(event: DomainEvent): void {
    if (event.type !== 'interaction_changed') return;
    const rec = event.interaction;
    const holder = wrapUpHolder(rec);
    if (holder) this.start(holder, rec);
  }

  // Interactions awaiting this agent's Done, oldest first.
  awaiting(agentId: string): string[] {
    return [...(this.#pending.get(agentId)?.open.keys() ?? [])];
  }

  async done(agentId: string, interactionId: string, form: WrapUpForm): Promise<WrapUpRecord> {
    const rec = await this.#d.interactions.find(interactionId);
    if (!rec) throw notFound('interaction_not_found', 'No such interaction.');
    if (rec.agentId !== agentId) throw forbidden('not_your_interaction', 'This interaction was not handled by you.');
    if (rec.state !== 'ended') throw notEndedYet();
    const checked = checkWrapUp(form, wrapUpSettings(await this.#d.directory.getService(rec.serviceId)));
    const wrapUp: WrapUpRecord = { interactionId, agentId, ...checked, doneAt: this.#d.clock.now() };
    const finish = () => this.finish(agentId, interactionId, this.#pending.get(agentId)?.resume ?? 'ready');
    await this.#d.closing
      .record(interactionId, async () => {
        if (await this.#d.closures.getWrapUp(interactionId)) throw alreadyWrappedUp();
        await this.#d.closures.saveWrapUp(wrapUp);
        return { kind: 'wrap_up', author: 'agent', agentId, text: wrapUp.notes || null, data: { disposition: wrapUp.disposition } };
      })
      .catch((err: unknown) => {
        // Wrapped up already: by this Done sent again after its answer failed (the wrap-up was stored,
        // its timeline entry's write was not), or by another tab. Either way the agent is let go.
        if (err instanceof DomainError && err.code === 'already_wrapped_up') finish();
        throw err;
      });
    finish();
    return wrapUp;
  }

  // Each service's wrap-up time, known before an interaction ends (routing runs right after).
  servicesChanged(services: readonly Service[]): void {
    this.#settings.clear();
    for (const service of services) this.#settings.set(service.id, wrapUpSettings(service));
  }

  // After a restart, or on a new leader: what agents owe Done for is owed again, each with the time it
  // had left (counted from its end), and listed on their desktop. Done then brings back an agent still in
  // wrap-up (a cluster stores presence) as the service's After wrap-up says: what they were before is
  // gone with the process. One whose wrap-ups all ran out meanwhile leaves it now, as the time would
  // have. (A single server's agents log in again after a restart, Not Ready as after a Log out.)
  async recover(): Promise<void> {
    const now = this.#d.clock.now();
    const longest = Math.max(0, ...[...this.#settings.values()].map((s) => s.wrapUpSeconds)) * 1000;
    const after = new Map<string, AfterWrapUp>();
    // Newest first: the service of each agent's last interaction says where its wrap-up ends.
    const pages = longest > 0 ? closedPages((q) => this.#d.closures.listClosed(q), now - longest, now + 1, 500) : [];
    for await (const page of pages) {
      for (const { interaction: rec, wrapUp } of page) {
        const agentId = wrapUpHolder(rec);
        if (!agentId || wrapUp) continue;
        const settings = this.#settingsOf(rec.serviceId);
        if (!after.has(agentId)) after.set(agentId, settings.afterWrapUp);
        const left = rec.endedAt! + settings.wrapUpSeconds * 1000 - now;
        if (left > 0) this.#owe(agentId, rec.id, left, settings.afterWrapUp, after.get(agentId));
      }
    }
    for (const agent of this.#d.presence.agents()) {
      if (agent.presence !== 'wrap_up' || this.#pending.has(agent.agentId)) continue;
      this.#d.presence.changePresence(agent.agentId, after.get(agent.agentId) === 'ready' ? 'resume_ready' : 'resume_not_ready');
    }
  }

  // A wrap-up time of 0 runs out at once: the agent stays free (Done still records a disposition).
  private start(agentId: string, rec: InteractionRecord): void {
    const settings = this.#settingsOf(rec.serviceId);
    if (settings.wrapUpSeconds === 0) return;
    const presence = this.#d.presence.agentState(agentId).presence;
    // Out of wrap-up with Done still owed (logged out, an offer left ringing): back to what they are now.
    this.#owe(agentId, rec.id, settings.wrapUpSeconds * 1000, settings.afterWrapUp, presence === 'wrap_up' ? undefined : resumeOf(presence));
    this.#d.presence.changePresence(agentId, 'start_wrap_up');
  }

  // The agent owes Done for this interaction for `ms`; `resume` (when given) is where Done brings them.
  #owe(agentId: string, interactionId: string, ms: number, whenTimeRunsOut: AfterWrapUp, resume: AfterWrapUp | undefined): void {
    let pending = this.#pending.get(agentId);
    if (!pending) this.#pending.set(agentId, (pending = { resume: resume ?? 'not_ready', open: new Map() }));
    else if (resume) pending.resume = resume;
    pending.open.set(interactionId, this.#d.timers.schedule(ms, () => this.finish(agentId, interactionId, whenTimeRunsOut)));
  }

  #settingsOf(serviceId: string): WrapUpSettings {
    return this.#settings.get(serviceId) ?? wrapUpSettings(undefined);
  }

  private finish(agentId: string, interactionId: string, to: AfterWrapUp): void {
    const pending = this.#pending.get(agentId);
    const timer = pending?.open.get(interactionId);
    if (!pending || !timer) return;
    timer.cancel();
    pending.open.delete(interactionId);
    if (pending.open.size > 0) return;
    this.#pending.delete(agentId);
    if (this.#d.presence.agentState(agentId).presence !== 'wrap_up') return;
    this.#d.presence.changePresence(agentId, to === 'ready' ? 'resume_ready' : 'resume_not_ready');
  }
}

const resumeOf = (presence: Presence): AfterWrapUp => (presence === 'ready' ? 'ready' : 'not_ready');

import { ChannelRegistry } from './channel-registry.ts';
import type { SupervisionMode, SupervisionReport, SupervisionRequest, CallSupervision } from '../../domain/supervision.ts';
import { KeyedQueue } from '../../domain/util/keyed-queue.ts';
import type { Ari, AriEvent } from '../client.ts';
import { ignoreNotFound } from '../errors.ts';
import { describeCause } from './causes.ts';
import { bridgeIdOf, channelIdOf, snoopChannelIdOf, supervisionBridgeIdOf, supervisorChannelIdOf } from './channel-names.ts';

export type SupervisionEventSink = (interactionId: string, supervisionId: string, event: SupervisionReport, cause?: string) => Promise<void>;

export interface SnoopsOptions {
  ari: () => Ari;
  app: string;
  // The supervisor's phone as for agents: the registered one of their softphone and desk phone.
  phoneOf: (ari: Ari, agentId: string) => Promise<string>;
  onError: (err: unknown, context: string) => void;
  ringTimeoutS?: number;
  // How long a new snoop channel may take to enter the Stasis app.
  snoopWaitMs?: number;
  // The agent's channel of a live leg now (a transferred call has its new agent's); else the first one's.
  agentChannelOf?: (legId: string) => string | undefined;
}

// What the controller knows of one supervisor in Asterisk: their phone's channel, their own mixing
// bridge, and the snoop channel on the agent's channel that feeds it (none while barging: then their
// phone is in the call's own bridge).
export interface AriSupervision {
  supervisionId: string;
  interactionId: string;
  legId: string;
  supervisorId: string;
  phoneChannelId: string;
  bridgeId: string;
  snoopChannelId: string | null;
  answered: boolean;
  mode: SupervisionMode;
}

// What a snoop on the agent's channel hears and says. On the agent's channel "in" is the agent's
// voice and "out" what the agent hears (the customer): spying on both hears the whole call; whispering
// "out" reaches the agent only.
const SNOOP: Record<Exclude<SupervisionMode, 'barge'>, { spy: 'both'; whisper: 'none' | 'out' }> = {
  listen: { spy: 'both', whisper: 'none' },
  whisper: { spy: 'both', whisper: 'out' },
};

// Listen / Whisper / Barge over ARI. Listen rings the supervisor's phone; once it answers, a snoop
// channel on the agent's channel and the phone are joined in the supervisor's own bridge. A mode
// change swaps the snoop channel (a new one is bridged before the old one goes, so nothing is lost in
// between) or, for Barge, moves the phone into the call's bridge: the phone is never called again.
// Every channel is named after the supervision (channel-names.ts) and the phone carries the
// interaction, call leg and supervision ids, so a restarted controller finds them (reconcile-snoops.ts).
export class AriSnoops implements CallSupervision {
  // The Stasis app's event types handle() takes (voice.ts asks Asterisk for these only).
  static readonly EVENTS = ['StasisStart', 'ChannelDestroyed'] as const;
  readonly #o: SnoopsOptions;
  readonly #supervisions = new ChannelRegistry<AriSupervision, 'phone' | 'snoop'>((sv) => [
    [sv.phoneChannelId, 'phone'],
    [sv.snoopChannelId, 'snoop'],
  ]);
  // Snoop channels asked for and not yet in the Stasis app.
  readonly #entering = new Map<string, () => void>();
  readonly #queue: KeyedQueue;
  #report: SupervisionEventSink = async () => undefined;

  constructor(opts: SnoopsOptions) {
    this.#o = opts;
    this.#queue = new KeyedQueue((err, key) => opts.onError(err, `supervision work for interaction ${key}`));
  }

  get supervisions(): ReadonlyMap<string, AriSupervision> {
    return this.#supervisions.items;
  }

  // Where progress goes, given when voice connects.
  reportTo(sink: SupervisionEventSink): void {
    this.#report = sink;
  }

  // Every ARI event of the Stasis app; false: not a channel of a supervisor.
  handle(event: AriEvent): boolean {
    const channelId = event.channel?.id;
    if (!channelId) return false;
    if (event.type === 'StasisStart' && this.#entering.has(channelId)) {
      this.#entering.get(channelId)!();
      return true;
    }
    const known = this.#supervisions.byChannel(channelId);
    if (!known) return false;
    const { item: sv, role } = known;
    this.#queue.fire(sv.interactionId, async () => {
      if (!this.tracks(sv)) return;
      if (event.type === 'StasisStart' && role === 'phone') await this.onAnswered(sv);
      else if (event.type === 'ChannelDestroyed') {
        if (role === 'snoop' && sv.snoopChannelId !== channelId) return; // an old snoop, replaced
        await this.teardown(sv);
        await this.#report(sv.interactionId, sv.supervisionId, ...whyGone(sv, role, event));
      }
    });
    return true;
  }

  join(req: SupervisionRequest): Promise<void> {
    return this.#queue.run(req.interactionId, async () => {
      const ari = this.#o.ari();
      const sv: AriSupervision = {
        ...req,
        phoneChannelId: supervisorChannelIdOf(req.supervisionId),
        bridgeId: supervisionBridgeIdOf(req.supervisionId),
        snoopChannelId: null,
        answered: false,
        mode: 'listen',
      };
      const endpoint = await this.#o.phoneOf(ari, req.supervisorId).catch((err: unknown) => {
        throw new Error("the supervisor's phone is not registered (no browser phone or desk phone online)", { cause: err });
      });
      // The call ended while the phone was looked up (callEnded found no supervisor of it yet): nobody is rung.
      if (this.#o.agentChannelOf && this.#o.agentChannelOf(req.legId) === undefined) throw new Error('the call has ended');
      this.track(sv);
      const bridged = ari.bridges.create({ type: 'mixing', bridgeId: sv.bridgeId, name: sv.bridgeId }).then(() => null, (err: unknown) => err as Error);
      const rung = await ari.channels
        .originate({
          endpoint,
          app: this.#o.app,
          appArgs: `supervisor,${sv.supervisionId}`,
          channelId: sv.phoneChannelId,
          callerId: '"Supervision" <supervision>',
          timeout: this.#o.ringTimeoutS ?? 30,
          variables: { INTERACTION_ID: sv.interactionId, CALL_LEG_ID: sv.legId, SUPERVISION_ID: sv.supervisionId, SUPERVISOR_ID: sv.supervisorId },
        })
        .then(() => null, (err: unknown) => err as Error);
      const failed = rung ?? (await bridged);
      if (failed) {
        await this.teardown(sv);
        throw new Error(`could not ring the supervisor's phone: ${failed.message}`, { cause: failed });
      }
    });
  }

  setMode(supervisionId: string, mode: SupervisionMode): Promise<void> {
    const sv = this.#supervisions.get(supervisionId);
    if (!sv) return Promise.reject(new Error(`no supervisor on a call in Asterisk for supervision ${supervisionId}`));
    // Left meanwhile (Stop, the call's end, queued before this): nothing to change, and the rules,
    // which heard of the leaving first, refuse the mode with their own reason.
    return this.#queue.run(sv.interactionId, async () => (this.tracks(sv) ? this.switchTo(sv, mode) : undefined));
  }

  leave(supervisionId: string): Promise<void> {
    const sv = this.#supervisions.get(supervisionId);
    if (!sv) return Promise.resolve();
    return this.#queue.run(sv.interactionId, () => this.teardown(sv));
  }

  // The call leg was torn down (released, hung up, failed): its supervisors leave with it.
  callEnded(legId: string): void {
    for (const sv of this.#supervisions.items.values()) {
      if (sv.legId !== legId) continue;
      this.#queue.fire(sv.interactionId, async () => {
        if (!this.tracks(sv)) return;
        await this.teardown(sv);
        await this.#report(sv.interactionId, sv.supervisionId, 'call_ended');
      });
    }
  }

  // A restarted controller keeps a supervisor whose phone is still up (reconcile-snoops.ts).
  adopt(sv: AriSupervision): void {
    this.track(sv);
  }

  forget(supervisionId: string): void {
    this.#supervisions.remove(supervisionId);
  }

  // The phone answered: it listens at once, then the rules hear of it.
  // If the snoop cannot be made (the call went meanwhile), the supervisor's phone is hung up and the
  // rules hear why, rather than leaving it "joining".
  private async onAnswered(sv: AriSupervision): Promise<void> {
    sv.answered = true;
    const failed = await this.switchTo(sv, 'listen').then(() => null, (err: unknown) => err as Error);
    if (failed) await this.teardown(sv);
    await this.#report(sv.interactionId, sv.supervisionId, failed ? 'fail' : 'answered', failed ? `could not listen to the call: ${failed.message}` : undefined);
  }

  private async switchTo(sv: AriSupervision, mode: SupervisionMode): Promise<void> {
    const ari = this.#o.ari();
    const old = sv.snoopChannelId;
    const wasBarging = sv.mode === 'barge';
    if (mode === 'barge') {
      await ari.bridges.removeChannel({ bridgeId: sv.bridgeId, channel: sv.phoneChannelId }).catch(ignoreNotInBridge);
      await ari.bridges.addChannel({ bridgeId: bridgeIdOf(sv.legId), channel: sv.phoneChannelId });
      sv.snoopChannelId = null;
    } else {
      const snoop = await this.snoop(ari, sv, mode);
      try {
        if (wasBarging) await ari.bridges.removeChannel({ bridgeId: bridgeIdOf(sv.legId), channel: sv.phoneChannelId }).catch(ignoreNotInBridge);
        await ari.bridges.addChannel({ bridgeId: sv.bridgeId, channel: wasBarging || old === null ? [sv.phoneChannelId, snoop] : snoop });
      } catch (err) {
        // A snoop nobody bridged would listen on the agent's channel for as long as the call lasts.
        this.#supervisions.dropChannel(snoop);
        await this.hangUp(ari, snoop);
        throw err;
      }
      sv.snoopChannelId = snoop;
    }
    sv.mode = mode;
    if (old) {
      this.#supervisions.dropChannel(old);
      await ari.channels.hangup({ channelId: old }).catch(ignoreNotFound);
    }
  }

  // A new snoop channel on the agent's channel, once it is in the Stasis app (only then can it be bridged).
  private async snoop(ari: Ari, sv: AriSupervision, mode: Exclude<SupervisionMode, 'barge'>): Promise<string> {
    const snoopId = snoopChannelIdOf(sv.supervisionId);
    const entered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#entering.delete(snoopId);
        reject(new Error(`the snoop channel did not enter the Stasis app within ${this.#o.snoopWaitMs ?? 5000} ms`));
      }, this.#o.snoopWaitMs ?? 5000);
      this.#entering.set(snoopId, () => {
        clearTimeout(timer);
        this.#entering.delete(snoopId);
        resolve();
      });
    });
    // Awaited only once the request is answered: a wait that runs out before that (Asterisk slow to
    // answer) must not count as unhandled, which ends the process.
    entered.catch(() => undefined);
    this.#supervisions.setChannel(snoopId, sv, 'snoop');
    try {
      await ari.channels.snoopChannelWithId({ channelId: this.#o.agentChannelOf?.(sv.legId) ?? channelIdOf(sv.legId, 'agent'), snoopId, app: this.#o.app, appArgs: `snoop,${sv.supervisionId}`, ...SNOOP[mode] });
      await entered;
    } catch (err) {
      this.#entering.get(snoopId)?.();
      this.#supervisions.dropChannel(snoopId);
      await this.hangUp(ari, snoopId);
      throw err;
    }
    return snoopId;
  }

  // Never rejects: leaving needs no Asterisk, so the rules always hear of it. What ARI could not remove
  // (it is away) is removed by reconcile-snoops.ts once it is back.
  private async teardown(sv: AriSupervision): Promise<void> {
    this.forget(sv.supervisionId);
    try {
      const ari = this.#o.ari();
      await ari.channels.hangup({ channelId: sv.phoneChannelId }).catch(ignoreNotFound);
      if (sv.snoopChannelId) await ari.channels.hangup({ channelId: sv.snoopChannelId }).catch(ignoreNotFound);
      await ari.bridges.destroy({ bridgeId: sv.bridgeId }).catch(ignoreNotFound);
    } catch (err) {
      this.#o.onError(err, `removing supervision ${sv.supervisionId} from Asterisk (left to reconciliation)`);
    }
  }

  private track(sv: AriSupervision): void {
    this.#supervisions.add(sv.supervisionId, sv);
  }

  // Whether a queued task's supervision is still this one (not left, torn down or replaced since).
  private tracks(sv: AriSupervision): boolean {
    return this.#supervisions.get(sv.supervisionId) === sv;
  }

  // Best effort on the way out of a failure: the failure is what the caller hears; reconcile-snoops.ts
  // removes what is left behind.
  private async hangUp(ari: Ari, channelId: string): Promise<void> {
    await ari.channels
      .hangup({ channelId })
      .catch(ignoreNotFound)
      .catch((err: unknown) => this.#o.onError(err, `hanging up supervisor channel ${channelId}`));
  }
}

// The phone hung up (or never answered), or the snoop went with the agent's channel: the call ended.
function whyGone(sv: AriSupervision, role: 'phone' | 'snoop', event: AriEvent): [SupervisionReport, string?] {
  if (role === 'snoop') return ['call_ended'];
  if (sv.answered) return ['hangup'];
  return ['fail', `the supervisor's phone did not answer (${describeCause(event.cause, event.cause_txt)})`];
}

// Taking a channel out of a bridge it already left (ARI answers 422) changes nothing.
function ignoreNotInBridge(err: unknown): void {
  if ((err as { status?: number }).status === 422) return;
  ignoreNotFound(err);
}

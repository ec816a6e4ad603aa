import { ChannelRegistry } from './channel-registry.ts';
import type { CallLegEvent } from '../../domain/call-leg.ts';
import type { ConsultCallEvents } from '../../domain/handoff.ts';
import { conflict } from '../../domain/errors.ts';
import { CallEndedMeanwhile, type CallRequest, type Telephony } from '../../domain/ports.ts';
import { KeyedQueue } from '../../domain/util/keyed-queue.ts';
import type { Ari, AriEvent } from '../client.ts';
import { registeredPhone, type EndpointStates } from '../endpoints/endpoint-states.ts';
import { ignoreNoMusic, ignoreNotFound, isNotFound } from '../errors.ts';
import { describeCause } from './causes.ts';
import { bridgeIdOf, channelIdOf, type Role } from './channel-names.ts';
import { AriConsults, type AriConsult } from './consult-calls.ts';
import { TransferRings } from './transfer-rings.ts';

export type CallEventSink = (interactionId: string, legId: string, event: CallLegEvent, cause?: string) => Promise<void>;

export interface CallLegsOptions {
  ari: () => Ari; // the current connection (it changes after a reconnect)
  app: string;
  agentEndpoints: (agentId: string) => string[]; // PJSIP endpoint names to try, in order (browser, desk phone)
  endpointStates: EndpointStates; // which of them are registered
  customerEndpoint: (number: string) => string; // e.g. PJSIP/+15551234567@trunk
  // Simulated PSTN only: the chat's own phone, named to the trunk in a header so that the call rings
  // that chat's page and no other phone that claims the same number.
  simulatedPhone?: { header: string; of: (interactionId: string) => Promise<string | undefined> };
  onError: (err: unknown, context: string) => void;
  ringTimeoutS?: number;
  // Told when a leg is torn down, whatever the reason: its supervisors leave with it (snoops.ts).
  legEnded?: (legId: string) => void;
}

// What the controller knows of one live call leg in Asterisk: one mixing bridge and up to two channels.
export interface AriLeg {
  legId: string;
  interactionId: string;
  serviceId: string;
  customerNumber: string;
  bridgeId: string;
  agentChannelId: string;
  customerChannelId: string;
  agentUp: boolean;
  customerUp: boolean;
  customerDialed: boolean;
  customerHeld: boolean;
  simulatedPhone?: string;
  // A consult from this call: the target's phone, ringing or talking with the agent in their own bridge.
  consult?: AriConsult;
}

// Call legs over ARI: rings the agent's endpoint first, then dials the customer and bridges both.
// Every channel carries INTERACTION_ID, SERVICE_ID, CALL_LEG_ID and CALL_LEG_ROLE, which is what lets a
// restarted controller find its calls again (see reconcile.ts).
export class AriCallLegs implements Telephony {
  // The ARI events handle() acts on: the Stasis app is sent no other (see app-events.ts).
  static readonly EVENTS = ['StasisStart', 'ChannelStateChange', 'ChannelDestroyed'] as const;
  readonly #o: CallLegsOptions;
  readonly #legs = new ChannelRegistry<AriLeg, Role>((leg) => [[leg.agentChannelId, 'agent'], [leg.customerChannelId, 'customer']]);
  readonly #rings = new TransferRings();
  readonly #consults: AriConsults;
  readonly #queue: KeyedQueue;
  // Legs whose call is asked for and not rung yet (the agent's phone being looked up): a Release
  // meanwhile takes the leg out, and placeCall() then rings nothing.
  readonly #placing = new Set<string>();

  constructor(opts: CallLegsOptions) {
    this.#o = opts;
    this.#queue = new KeyedQueue((err, key) => opts.onError(err, `call leg work for interaction ${key}`));
    this.#consults = new AriConsults({
      ari: opts.ari,
      withLeg: (legId, act) => this.withLeg(legId, act),
      fire: (leg, task) => this.#queue.fire(leg.interactionId, task),
      phoneOf: (ari, agentId) => this.phoneOf(ari, agentId),
      ringAgent: (ari, leg, endpoint, channelId) => this.ringAgent(ari, leg, endpoint, channelId),
      holdCustomer: (ari, leg) => this.holdCustomer(ari, leg),
      bridgeCustomer: (ari, leg) => this.bridgeCustomer(ari, leg),
      handToPhone: (ari, leg, channelId) => this.handToPhone(ari, leg, channelId),
    });
  }

  get legs(): ReadonlyMap<string, AriLeg> {
    return this.#legs.items;
  }

  // Called by the connection for every ARI event of the Stasis app; the leg's progress goes to `report`.
  // False: not a channel of ours.
  handle(event: AriEvent, report: CallEventSink): boolean {
    if (this.#rings.handle(event)) return true;
    const channel = event.channel;
    // A consulted phone handed the call (Complete transfer) is the leg's agent phone by the time its
    // events are acted on: the leg's own handling takes them then.
    if (this.#consults.handle(event, () => this.onLegEvent(event, report))) return true;
    const known = channel ? this.#legs.byChannel(channel.id) : undefined;
    if (!known) return false;
    const { item: leg, role } = known;
    // A transfer's ring holds the leg's queue: the customer's hang-up ends it at once, not after it.
    if (event.type === 'ChannelDestroyed' && role === 'customer') this.#rings.end(leg.legId, new CallEndedMeanwhile('the customer hung up'));
    this.#queue.fire(leg.interactionId, () => this.onLegEvent(event, report));
    return true;
  }

  // The channel's role is read when the event is acted on, not when it came: a phone the call moved
  // away from meanwhile (a transfer's, a consult's first agent) is no longer the leg's, and its end is
  // not the call's end.
  private async onLegEvent(event: AriEvent, report: CallEventSink): Promise<void> {
    const channel = event.channel;
    const known = channel ? this.#legs.byChannel(channel.id) : undefined;
    if (!known) return;
    const { item: leg, role } = known;
    if (event.type === 'StasisStart') await this.onAnswered(leg, role, report);
    else if (event.type === 'ChannelStateChange' && channel?.state === 'Ringing' && role === 'customer') {
      await report(leg.interactionId, leg.legId, 'customer_ringing');
    } else if (event.type === 'ChannelDestroyed') await this.onGone(leg, role, describeCause(event.cause, event.cause_txt), report);
  }

  placeCall(req: CallRequest): Promise<void> {
    this.#placing.add(req.legId);
    return this.#queue.run(req.interactionId, () => this.place(req)).finally(() => this.#placing.delete(req.legId));
  }

  private async place(req: CallRequest): Promise<void> {
    const ari = this.#o.ari();
    const leg: AriLeg = {
      legId: req.legId,
      interactionId: req.interactionId,
      serviceId: req.serviceId,
      customerNumber: req.customerNumber,
      bridgeId: bridgeIdOf(req.legId),
      agentChannelId: channelIdOf(req.legId, 'agent'),
      customerChannelId: channelIdOf(req.legId, 'customer'),
      agentUp: false,
      customerUp: false,
      customerDialed: false,
      customerHeld: false,
    };
    const agentEndpoint = await this.phoneOf(ari, req.agentId);
    leg.simulatedPhone = await this.#o.simulatedPhone?.of(req.interactionId);
    if (!this.#placing.delete(leg.legId)) return; // released meanwhile (End chat, End session...)
    this.#legs.add(leg.legId, leg); // subscribe before acting: the answer may come before originate returns
    // The bridge is made while the agent's phone rings: it is needed only once the agent answers (and
    // that answer is handled after this task, by the queue).
    const bridged = ari.bridges.create({ type: 'mixing', bridgeId: leg.bridgeId, name: leg.bridgeId }).then(
      () => null,
      (err: unknown) => err as Error,
    );
    const rung = await ari.channels
      .originate({
        endpoint: agentEndpoint,
        app: this.#o.app,
        appArgs: `agent,${leg.legId}`,
        channelId: leg.agentChannelId,
        callerId: `"${req.customerNumber}" <${req.customerNumber}>`,
        timeout: this.#o.ringTimeoutS ?? 30,
        variables: this.tags(leg, 'agent'),
      })
      .then(() => null, (err: unknown) => err as Error);
    const notBridged = await bridged;
    if (rung || notBridged) {
      if (rung) this.#o.endpointStates.forget();
      await this.teardown(leg);
      if (rung) throw new Error(`could not ring the agent's phone: ${rung.message}`, { cause: rung });
      throw new Error(`could not make the call's bridge: ${notBridged!.message}`, { cause: notBridged });
    }
  }

  // A call not rung yet never will be (placeCall() sees it gone): nothing to wait for, nor to hang up.
  // A transfer's ring ends at once (it holds the leg's work until answered).
  release(legId: string): Promise<void> {
    const leg = this.#legs.get(legId);
    this.#placing.delete(legId);
    this.#rings.end(legId, new CallEndedMeanwhile('the call was released', false));
    return leg ? this.#queue.run(leg.interactionId, () => this.teardown(leg)) : Promise.resolve();
  }

  // On hold the agent's phone leaves the bridge (it hears nothing) and the bridge plays music on hold to
  // the customer. The customer never leaves the bridge: its recording goes on, with the customer's side
  // and the music (never what the agent says meanwhile, to a consulted agent or anyone).
  hold(legId: string): Promise<void> {
    return this.withAgentPhone(legId, (ari, leg) => this.holdCustomer(ari, leg));
  }

  unhold(legId: string): Promise<void> {
    return this.withAgentPhone(legId, (ari, leg) => this.bridgeCustomer(ari, leg));
  }

  // Mute stops the agent's voice reaching the customer (audio coming in from the agent's phone).
  mute(legId: string): Promise<void> {
    return this.withAgentPhone(legId, (ari, leg) => ari.channels.mute({ channelId: leg.agentChannelId, direction: 'in' }));
  }

  unmute(legId: string): Promise<void> {
    return this.withAgentPhone(legId, (ari, leg) => ari.channels.unmute({ channelId: leg.agentChannelId, direction: 'in' }));
  }

  // While a transfer's new phone rings the call is not the first agent's to hold or mute: queued, the
  // click would act on the new agent's phone once it answered.
  private withAgentPhone(legId: string, act: (ari: Ari, leg: AriLeg) => Promise<void>): Promise<void> {
    if (this.#rings.ringingFor(legId)) return Promise.reject(conflict('call_moving', "The call is moving to the new agent's phone: Hold and Mute are theirs once they answer."));
    return this.withLeg(legId, act);
  }

  moveToAgent(legId: string, agentId: string, turn: number): Promise<void> {
    const channelId = channelIdOf(legId, 'agent', turn);
    // Settled by the phone's answer or its end, or by the call's (handle(), release()). Known from the
    // click on: a Hold queued behind the phone's lookup would hold the new agent's answer.
    const answered = this.#rings.wait(channelId, legId);
    const moved = this.withLeg(legId, async (ari, leg) => {
      const endpoint = await this.phoneOf(ari, agentId);
      const heldBefore = leg.customerHeld;
      if (!heldBefore) await this.holdCustomer(ari, leg);
      const failed = await this.ringAgent(ari, leg, endpoint, channelId).then(() => answered, (err: unknown) => err as Error);
      if (failed) {
        // The call stays with the agent who had it: its phone comes back to the customer (if still there),
        // unless they had put the call on hold: it stays held, as their desktop says.
        await ari.channels.hangup({ channelId }).catch(ignoreNotFound);
        // A first agent who hung up meanwhile cannot be bridged back: their phone's end, acted on
        // after this, releases the call. The ring's failure is still what the new agent is told.
        if (!(failed instanceof CallEndedMeanwhile) && !heldBefore) await this.bridgeCustomer(ari, leg).catch((err: unknown) => this.#o.onError(err, `call leg ${leg.legId}: back to the first agent`));
        throw failed;
      }
      await this.handToPhone(ari, leg, channelId).catch(async (err: unknown) => {
        // Answered but not joined to the customer: the new phone is not left up alone, and the call is the
        // first agent's again, as on a failed ring.
        if (leg.agentChannelId === channelId) throw err;
        await ari.channels.hangup({ channelId }).catch(ignoreNotFound);
        if (!heldBefore) await this.bridgeCustomer(ari, leg).catch((e: unknown) => this.#o.onError(e, `call leg ${leg.legId}: back to the first agent`));
        throw err;
      });
    });
    // Failed before its phone rang or answered (no such leg, no phone): the ring is over too.
    return moved.finally(() => this.#rings.end(legId, new Error('the transfer of the call did not go on')));
  }

  endTransferRing(legId: string): void {
    this.#rings.end(legId, new Error('the transfer was withdrawn: the new agent was disabled'));
  }

  // Consults: consult-calls.ts.
  startConsult = (legId: string, agentId: string, turn: number, events: ConsultCallEvents): Promise<void> => this.#consults.start(legId, agentId, turn, events);
  completeConsult = (legId: string): Promise<void> => this.#consults.complete(legId);
  endConsult = (legId: string): Promise<void> => this.#consults.end(legId);

  // Rings an agent's phone for a call already up (a transfer's new agent, a consult's).
  private async ringAgent(ari: Ari, leg: AriLeg, endpoint: string, channelId: string): Promise<void> {
    await ari.channels.originate({
      endpoint,
      app: this.#o.app,
      appArgs: `agent,${leg.legId}`,
      channelId,
      callerId: `"${leg.customerNumber}" <${leg.customerNumber}>`,
      timeout: this.#o.ringTimeoutS ?? 30,
      variables: this.tags(leg, 'agent'),
    });
  }

  // The call goes to the phone of `channelId`: it joins the customer in the leg's bridge (a failed join
  // leaves the leg as it was), then the music stops and the previous phone is forgotten and hung up.
  // From the join on the call is the new phone's: music that does not stop, or an old phone left up (a
  // stray for reconciliation), is logged and fails nothing. One recording throughout, never cut.
  private async handToPhone(ari: Ari, leg: AriLeg, channelId: string): Promise<void> {
    await ari.bridges.addChannel({ bridgeId: leg.bridgeId, channel: channelId });
    const previous = leg.agentChannelId;
    this.#legs.dropChannel(previous);
    leg.agentChannelId = channelId;
    this.#legs.setChannel(channelId, leg, 'agent');
    const logged = (what: string) => (err: unknown) => this.#o.onError(err, `call leg ${leg.legId}: ${what} after the handover`);
    await ari.bridges.stopMoh({ bridgeId: leg.bridgeId }).catch(ignoreNoMusic).catch(logged('music'));
    leg.customerHeld = false;
    await ari.channels.hangup({ channelId: previous }).catch(ignoreNotFound).catch(logged("the previous agent's phone"));
  }

  // The agent's phone out of the bridge, music on hold into it (see hold()). Music that does not start
  // leaves no half hold: the agent's phone goes back to the customer, and the hold is refused.
  private async holdCustomer(ari: Ari, leg: AriLeg): Promise<void> {
    await ari.bridges.removeChannel({ bridgeId: leg.bridgeId, channel: leg.agentChannelId });
    await ari.bridges.startMoh({ bridgeId: leg.bridgeId }).catch(async (err: unknown) => {
      await ari.bridges.addChannel({ bridgeId: leg.bridgeId, channel: leg.agentChannelId }).catch((e: unknown) => this.#o.onError(e, `call leg ${leg.legId}: back from a failed hold`));
      throw err;
    });
    leg.customerHeld = true;
  }

  // The agent's phone (leg.agentChannelId: maybe a new one) back with the customer, the music stopped.
  private async bridgeCustomer(ari: Ari, leg: AriLeg): Promise<void> {
    await ari.bridges.addChannel({ bridgeId: leg.bridgeId, channel: leg.agentChannelId });
    await ari.bridges.stopMoh({ bridgeId: leg.bridgeId }).catch(ignoreNoMusic);
    leg.customerHeld = false;
  }

  // Reconciliation: a leg whose channels a restarted controller found still up; an answer Asterisk saw
  // while nobody listened, taken up as if heard (once connected), unless released before its turn.
  adopt(leg: AriLeg): void {
    this.#legs.add(leg.legId, leg);
  }
  answeredMeanwhile(leg: AriLeg, role: Role, report: CallEventSink): Promise<void> {
    return this.#queue.run(leg.interactionId, async () => (this.#legs.get(leg.legId) === leg ? this.onAnswered(leg, role, report) : undefined));
  }

  // Used by reconciliation: the consulted phone of a leg it kept is no longer in Asterisk.
  consultVanished(ari: Ari, leg: AriLeg, cause: string): void {
    this.#consults.vanished(ari, leg, cause);
  }

  // A ring for a transfer of the leg waits for its phone's answer or end: with the leg forgotten (ended,
  // or lost with Asterisk), neither would come, and the move would hold the chat's call work for good.
  forget(legId: string, why = 'the call was lost'): void {
    this.#placing.delete(legId);
    this.#legs.remove(legId);
    this.#rings.end(legId, new CallEndedMeanwhile(why));
  }

  // Reconciliation: transfers' new phones gone, or answered, while the events were away.
  get rings(): Pick<TransferRings, 'lost' | 'answeredMeanwhile'> {
    return this.#rings;
  }

  // Nobody is bridged before both have answered (one request then joins both).
  private async onAnswered(leg: AriLeg, role: Role, report: CallEventSink): Promise<void> {
    if (role === 'customer' ? leg.customerUp : leg.agentUp) return; // taken up already (reconcile.ts)
    const ari = this.#o.ari();
    if (role === 'customer') {
      // Not bridged (a request refused): both phones would stay up, hearing nothing, under "Ringing".
      const bridged = await ari.bridges.addChannel({ bridgeId: leg.bridgeId, channel: [leg.agentChannelId, leg.customerChannelId] }).then(() => null, (err: unknown) => err as Error);
      if (bridged) return this.failed(leg, `could not bridge the call: ${bridged.message}`, report);
      leg.customerUp = true;
      return report(leg.interactionId, leg.legId, 'customer_answered');
    }
    // The agent answered: the customer is dialled at once; the answer is recorded after (a store write
    // would hold the event loop before the request is out). The queue keeps the customer's progress after.
    leg.agentUp = true;
    leg.customerDialed = true;
    const dialled = await ari.channels
      .originate({
        endpoint: this.#o.customerEndpoint(leg.customerNumber),
        app: this.#o.app,
        appArgs: `customer,${leg.legId}`,
        channelId: leg.customerChannelId,
        timeout: this.#o.ringTimeoutS ?? 30,
        variables: { ...this.tags(leg, 'customer'), ...this.simulatedPhoneHeader(leg) },
      })
      .then(() => null, (err: unknown) => err as Error);
    await report(leg.interactionId, leg.legId, 'agent_answered');
    if (dialled) await this.failed(leg, `trunk refused the call: ${dialled.message}`, report);
  }

  private async failed(leg: AriLeg, cause: string, report: CallEventSink): Promise<void> {
    await this.teardown(leg);
    await report(leg.interactionId, leg.legId, 'fail', cause);
  }

  // A channel ended: the leg ends with it (the other side is hung up, the bridge removed).
  private async onGone(leg: AriLeg, role: Role, cause: string, report: CallEventSink): Promise<void> {
    if (!this.#legs.items.has(leg.legId)) return; // already released by us
    const event: CallLegEvent =
      role === 'agent' ? (leg.agentUp ? 'agent_hangup' : 'fail') : leg.customerUp ? 'customer_hangup' : 'fail';
    const up = role === 'agent' ? leg.agentUp : leg.customerUp;
    const why = up ? `${role} hung up` : role === 'agent' ? `agent phone did not answer (${cause})` : cause;
    await this.teardown(leg);
    await report(leg.interactionId, leg.legId, event, why);
  }

  // Never rejects: a release needs no Asterisk (the guard table lets it through while ARI is away). Each
  // step is tried whatever became of the one before (a customer's hang-up that timed out leaves no
  // agent's phone off-hook); what ARI could not remove is a stray for reconcile.ts once it is back.
  private async teardown(leg: AriLeg): Promise<void> {
    this.forget(leg.legId, 'the call ended');
    this.#o.legEnded?.(leg.legId);
    const steps = [
      async () => this.#consults.callEnded(leg),
      async () => this.#o.ari().channels.hangup({ channelId: leg.customerChannelId }),
      async () => this.#o.ari().channels.hangup({ channelId: leg.agentChannelId }),
      async () => this.#o.ari().bridges.destroy({ bridgeId: leg.bridgeId }),
    ];
    for (const step of steps) {
      await step().catch((err: unknown) => isNotFound(err) || this.#o.onError(err, `removing call leg ${leg.legId} from Asterisk (left to reconciliation)`));
    }
  }

  hasPhone(agentId: string): Promise<boolean> {
    return this.#o.endpointStates.firstOnline(this.#o.ari(), this.#o.agentEndpoints(agentId)).then((found) => found !== undefined);
  }

  phoneOf(ari: Ari, agentId: string): Promise<string> {
    return registeredPhone(this.#o.endpointStates, ari, this.#o.agentEndpoints(agentId), agentId);
  }

  private withLeg(legId: string, act: (ari: Ari, leg: AriLeg) => Promise<void>): Promise<void> {
    const leg = this.#legs.get(legId);
    if (!leg) return Promise.reject(new Error(`no live call leg ${legId} in Asterisk`));
    return this.#queue.run(leg.interactionId, () => act(this.#o.ari(), leg));
  }

  private simulatedPhoneHeader(leg: AriLeg): Record<string, string> {
    const sim = this.#o.simulatedPhone;
    return sim && leg.simulatedPhone ? { [`PJSIP_HEADER(add,${sim.header})`]: leg.simulatedPhone } : {};
  }

  private tags(leg: AriLeg, role: Role): Record<string, string> {
    return { INTERACTION_ID: leg.interactionId, SERVICE_ID: leg.serviceId, CALL_LEG_ID: leg.legId, CALL_LEG_ROLE: role };
  }
}

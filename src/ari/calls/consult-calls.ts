import type { ConsultCallEvents } from '../../domain/handoff.ts';
import type { Ari, AriEvent } from '../client.ts';
import { ignoreNotFound } from '../errors.ts';
import type { AriLeg } from './call-legs.ts';
import { describeCause } from './causes.ts';
import { channelIdOf, consultBridgeIdOf } from './channel-names.ts';

// A consult from a live call leg: the target's phone, ringing, then talking with the first agent in
// a bridge of their own while the customer hears music on hold in the leg's bridge (recorded there).
export interface AriConsult {
  leg: AriLeg;
  channelId: string;
  bridgeId: string;
  events: ConsultCallEvents;
  // Its StasisStart came: the two agents are bridged.
  talking: boolean;
}

// What a consult needs of the call legs (AriCallLegs): its serialised work and its bridge moves.
export interface ConsultLegControl {
  ari: () => Ari;
  withLeg(legId: string, act: (ari: Ari, leg: AriLeg) => Promise<void>): Promise<void>;
  fire(leg: AriLeg, task: () => Promise<void>): void;
  phoneOf(ari: Ari, agentId: string): Promise<string>;
  ringAgent(ari: Ari, leg: AriLeg, endpoint: string, channelId: string): Promise<void>;
  holdCustomer(ari: Ari, leg: AriLeg): Promise<void>;
  bridgeCustomer(ari: Ari, leg: AriLeg): Promise<void>;
  // The call goes to that phone: it joins the customer in the leg's bridge, the previous one hung up.
  handToPhone(ari: Ari, leg: AriLeg, channelId: string): Promise<void>;
}

// Consult calls over ARI. The target's channel carries the interaction's tags and is named as the
// leg's next agent phone (channelIdOf turn), so that Complete transfer simply makes it the leg's agent
// phone, and a restarted controller, which does not resume consults, hangs it up as a stray.
export class AriConsults {
  readonly #c: ConsultLegControl;
  // Consulted agents' phones, by channel.
  readonly #byChannel = new Map<string, AriConsult>();

  constructor(control: ConsultLegControl) {
    this.#c = control;
  }

  // The ARI events of a consulted phone (false: not one). `asLegs`: the event acted on as the leg's
  // own, once the consult handed the call to that phone (Complete transfer) before it was acted on.
  handle(event: AriEvent, asLegs: () => Promise<void>): boolean {
    const consult = event.channel ? this.#byChannel.get(event.channel.id) : undefined;
    if (!consult) return false;
    this.#c.fire(consult.leg, async () => {
      if (consult.leg.consult !== consult) await asLegs();
      else if (event.type === 'StasisStart') await this.answered(consult);
      else if (event.type === 'ChannelDestroyed') await this.gone(consult, describeCause(event.cause, event.cause_txt));
    });
    return true;
  }

  // The customer on hold, the target's phone rung; its answer and its end come to handle().
  start(legId: string, agentId: string, turn: number, events: ConsultCallEvents): Promise<void> {
    return this.#c.withLeg(legId, async (ari, leg) => {
      const endpoint = await this.#c.phoneOf(ari, agentId);
      const heldBefore = leg.customerHeld;
      if (!heldBefore) await this.#c.holdCustomer(ari, leg);
      const consult: AriConsult = { leg, channelId: channelIdOf(leg.legId, 'agent', turn), bridgeId: consultBridgeIdOf(leg.legId, turn), events, talking: false };
      leg.consult = consult;
      this.#byChannel.set(consult.channelId, consult);
      try {
        await this.#c.ringAgent(ari, leg, endpoint, consult.channelId);
      } catch (err) {
        this.drop(consult);
        // A ring whose answer was lost (a time-out) may ring all the same: its phone is hung up.
        await ari.channels.hangup({ channelId: consult.channelId }).catch(ignoreNotFound);
        // A call the agent had put on hold stays held, as their desktop says (the rules keep it so).
        if (!heldBefore) await this.#c.bridgeCustomer(ari, leg);
        throw err;
      }
    });
  }

  // Complete transfer: the consulted phone becomes the call's agent phone; the first agent's is hung up.
  // The consult is over only once that worked. If it did not (the customer or the consulted agent
  // hung up meanwhile), the consult ends as if the consulted phone went away: it is hung up, the first
  // agent is back with the customer (if still there), and the rules are told.
  complete(legId: string): Promise<void> {
    return this.#c.withLeg(legId, async (ari, leg) => {
      const consult = leg.consult;
      if (!consult?.talking) throw new Error("the consulted agent's phone is not in the call");
      try {
        await ari.bridges.destroy({ bridgeId: consult.bridgeId }).catch(ignoreNotFound);
        await this.#c.handToPhone(ari, leg, consult.channelId);
      } catch (err) {
        await this.abandon(ari, consult, `the call could not be handed over (${messageOf(err)})`);
        throw err;
      }
      this.drop(consult);
    });
  }

  // Cancel transfer: the consulted phone is hung up; the first agent and the customer are bridged again.
  // A consult already gone (its phone's end was acted on first) still leaves the customer off hold.
  end(legId: string): Promise<void> {
    return this.#c.withLeg(legId, async (ari, leg) => {
      const consult = leg.consult;
      if (!consult) {
        if (leg.customerHeld) await this.#c.bridgeCustomer(ari, leg);
        return;
      }
      await ari.channels.hangup({ channelId: consult.channelId }).catch(ignoreNotFound);
      await this.rejoin(ari, leg, consult);
      // Forgotten once done (the phone's end, queued behind this, is then no longer the consult's): a
      // Cancel that failed on the way leaves the consult as it was, for Cancel transfer to try again.
      this.drop(consult);
    });
  }

  // The leg is torn down (the customer or the first agent hung up, the call released): its consult
  // goes with it, and the rules are told.
  async callEnded(leg: AriLeg): Promise<void> {
    const consult = leg.consult;
    if (!consult) return;
    this.drop(consult);
    consult.events.callEnded('the call ended');
    const ari = this.#c.ari();
    await ari.channels.hangup({ channelId: consult.channelId }).catch(ignoreNotFound);
    await ari.bridges.destroy({ bridgeId: consult.bridgeId }).catch(ignoreNotFound);
  }

  // Reconciliation found the consulted phone gone (its end came while the event stream was down): it
  // ends as if its end had been heard.
  // (Through the reconnecting `ari`: the connection counts as up only once reconciliation is done.)
  vanished(ari: Ari, leg: AriLeg, cause: string): void {
    const consult = leg.consult;
    if (consult) this.#c.fire(leg, () => this.gone(consult, cause, ari));
  }

  // The agents talk in a bridge of their own (the first agent's phone left the leg's since the hold):
  // the customer, on hold in the leg's bridge, and its recording hear neither.
  private async answered(consult: AriConsult): Promise<void> {
    const { leg } = consult;
    if (leg.consult !== consult) return;
    const ari = this.#c.ari();
    try {
      await ari.bridges.create({ type: 'mixing', bridgeId: consult.bridgeId, name: consult.bridgeId });
      await ari.bridges.addChannel({ bridgeId: consult.bridgeId, channel: [leg.agentChannelId, consult.channelId] });
    } catch (err) {
      // The agents could not be put together: the consulted agent is not left on a silent line.
      return this.abandon(ari, consult, `the other agent's phone could not be joined (${messageOf(err)})`);
    }
    consult.talking = true;
    consult.events.answered();
  }

  // The consulted phone did not answer, rejected, or hung up: the customer is back with the first agent.
  private async gone(consult: AriConsult, cause: string, ari: Ari = this.#c.ari()): Promise<void> {
    const { leg } = consult;
    if (leg.consult !== consult) return;
    this.drop(consult);
    await this.backToCustomer(ari, consult, consult.talking ? `the other agent hung up (${cause})` : `the other agent's phone did not answer (${cause})`);
  }

  // A consult given up while its phone is up: that phone is hung up, the first agent goes back.
  private async abandon(ari: Ari, consult: AriConsult, why: string): Promise<void> {
    this.drop(consult);
    await ari.channels.hangup({ channelId: consult.channelId }).catch(ignoreNotFound);
    await this.backToCustomer(ari, consult, why);
  }

  // A consult over in Asterisk: the first agent goes back to the customer, and the rules are told
  // whatever becomes of that (it is said if it failed).
  private async backToCustomer(ari: Ari, consult: AriConsult, why: string): Promise<void> {
    const back = await this.rejoin(ari, consult.leg, consult).then(() => '', (e: unknown) => `; the first agent's phone not bridged back: ${messageOf(e)}`);
    consult.events.ended(why + back);
  }

  // The first agent's phone leaves the consult's bridge (if it got there) for the customer's.
  private async rejoin(ari: Ari, leg: AriLeg, consult: AriConsult): Promise<void> {
    await ari.bridges.destroy({ bridgeId: consult.bridgeId }).catch(ignoreNotFound);
    await this.#c.bridgeCustomer(ari, leg);
  }

  private drop(consult: AriConsult): void {
    this.#byChannel.delete(consult.channelId);
    if (consult.leg.consult === consult) consult.leg.consult = undefined;
  }
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

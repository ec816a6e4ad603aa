import type { ContactCenter } from './contact-center.ts';
import { DomainError, notFound } from './errors.ts';
import type { InteractionRecord } from './interaction.ts';
import type { Clock } from './ports.ts';
import type { SmsGatewayKind, SmsRoute, SmsStore } from './sms-ports.ts';

// Which SMS chat a conversation's text goes into (one sender, one of our numbers), and which number and
// gateway a chat answers by (its route).
type SmsChatsDeps = { center: ContactCenter; store: SmsStore; clock: Clock; numbers: Readonly<Record<string, string>> };

export class SmsChats {
  readonly #d: SmsChatsDeps;
  readonly #routes = new Map<string, SmsRoute>();

  constructor(deps: SmsChatsDeps) {
    this.#d = deps;
  }

  // Into the conversation's open chat, or a new one if it was disconnected while this text was on its
  // way, or is as long as a chat can be (a customer texting has no way to start a new one: the chat
  // goes on with its agent, the texts from now on open the next).
  async postInChat(from: string, to: string, gateway: SmsGatewayKind, text: string, clientId: string): Promise<InteractionRecord> {
    const passed = new Set<string>();
    for (;;) {
      const rec = await this.#chatFor(from, to, gateway, passed);
      try {
        await this.#d.center.postCustomerMessage(rec.id, text, clientId);
        return rec;
      } catch (err) {
        const another = err instanceof DomainError && (err.code === 'chat_ended' || err.code === 'chat_full');
        if (!another || passed.size >= 3) throw err;
        passed.add(rec.id);
      }
    }
  }

  // The conversation's open chat, by its route: a number an admin since took from its service still
  // reaches it (and its replies go out from that number).
  async openChatOf(from: string, to: string, passed: ReadonlySet<string> = new Set()): Promise<InteractionRecord | undefined> {
    for (const rec of this.#d.center.openInteractions()) {
      if (rec.channel !== 'sms' || rec.customer.phone !== from || passed.has(rec.id)) continue;
      if ((await this.routeOf(rec)).serviceNumber === to && rec.state !== 'ended') return rec;
    }
    return undefined;
  }

  async #chatFor(from: string, to: string, gateway: SmsGatewayKind, passed: ReadonlySet<string> = new Set()): Promise<InteractionRecord> {
    const open = await this.openChatOf(from, to, passed);
    if (open) return open;
    const serviceId = this.#d.numbers[to];
    if (!serviceId) throw notFound('unknown_number', `No service answers texts to ${to}.`);
    const { interaction } = await this.#d.center.startChat({ serviceId, channel: 'sms', customer: { name: `SMS ${from}`, phone: from } });
    const route: SmsRoute = { interactionId: interaction.id, customerNumber: from, serviceNumber: to, gateway, createdAt: this.#d.clock.now() };
    this.#routes.set(route.interactionId, route);
    await this.#d.store.saveRoute(route);
    return interaction;
  }

  // Which of our numbers and which gateway an SMS chat uses. A chat whose route was never stored (a
  // crash just after it opened) answers from the first number of its service, by webhook. Held in
  // memory while the chat is open only: an ended chat's few texts (the rating) read the store.
  async routeOf(rec: InteractionRecord): Promise<SmsRoute> {
    const known = this.#routes.get(rec.id) ?? (await this.#d.store.getRoute(rec.id));
    if (known) {
      if (rec.state !== 'ended') this.#routes.set(rec.id, known);
      return known;
    }
    const number = Object.entries(this.#d.numbers).find(([, service]) => service === rec.serviceId)?.[0] ?? '';
    return { interactionId: rec.id, customerNumber: rec.customer.phone, serviceNumber: number, gateway: 'webhook', createdAt: rec.createdAt };
  }

  // An ended chat's route is read from the store from now on.
  forget(interactionId: string): void {
    this.#routes.delete(interactionId);
  }
}

// In-memory fakes of the SMS desk's ports (sms-ports.ts), for unit tests of its rules: the store
// answers a turn of the event loop later, as a real one would; the sender records what went out.
import { ratingQuestionId, type AskedRating, type OutboundSms, type SeenSms, type SmsDelivery, type SmsRoute, type SmsSender, type SmsStore, type StoredPart } from '../../src/domain/sms-ports.ts';
import type { MemoryInteractionStore } from './fake-ports.ts';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class MemorySmsStore implements SmsStore {
  readonly inbound = new Map<string, SeenSms & { pending: boolean; part?: StoredPart }>();
  readonly routes = new Map<string, SmsRoute>();
  readonly deliveries = new Map<string, SmsDelivery>();
  // Rating questions are found by their chat's end, kept with the interactions.
  readonly #interactions: MemoryInteractionStore;

  constructor(interactions: MemoryInteractionStore) {
    this.#interactions = interactions;
  }

  async isSeen(id: string) {
    await turn();
    return this.inbound.has(id);
  }
  async markSeen(sms: SeenSms) {
    await turn();
    if (!this.inbound.has(sms.id)) this.inbound.set(sms.id, { ...sms, pending: false });
  }
  async savePart(part: StoredPart) {
    await turn();
    if (!this.inbound.has(part.id)) this.inbound.set(part.id, { ...part, pending: true, part: structuredClone(part) });
  }
  async finishParts(ids: string[]) {
    await turn();
    for (const id of ids) {
      const row = this.inbound.get(id);
      if (row) this.inbound.set(id, { ...row, pending: false, part: undefined });
    }
  }
  async forgetSeenBefore(before: number) {
    await turn();
    const old = [...this.inbound.values()].filter((r) => !r.pending && r.receivedAt < before);
    for (const r of old) this.inbound.delete(r.id);
    return old.length;
  }
  async pendingParts() {
    return [...this.inbound.values()].filter((r) => r.pending && r.part).map((r) => structuredClone(r.part!));
  }
  async pendingGroup(g: Pick<StoredPart, 'from' | 'to' | 'ref' | 'total'>) {
    return (await this.pendingParts()).filter((p) => p.from === g.from && p.to === g.to && p.ref === g.ref && p.total === g.total);
  }
  async saveRoute(route: SmsRoute) {
    this.routes.set(route.interactionId, { ...route });
  }
  async getRoute(id: string) {
    const r = this.routes.get(id);
    return r ? { ...r } : undefined;
  }
  async chatHolding(c: Pick<SmsRoute, 'customerNumber' | 'serviceNumber'>, clientId: string, since: number) {
    await turn();
    const chats = [...this.routes.values()].filter((r) => r.customerNumber === c.customerNumber && r.serviceNumber === c.serviceNumber && r.createdAt >= since);
    return chats.reverse().find((r) => this.#interactions.entriesOf(r.interactionId).some((e) => e.clientId === clientId))?.interactionId;
  }
  async saveDelivery(d: SmsDelivery) {
    await turn();
    this.deliveries.set(d.id, { ...d });
  }
  async getDelivery(id: string) {
    const d = this.deliveries.get(id);
    return d ? { ...d } : undefined;
  }
  async listDeliveries(interactionId: string) {
    return [...this.deliveries.values()].filter((d) => d.interactionId === interactionId).map((d) => ({ ...d }));
  }
  async ratingQuestionsSince(since: number): Promise<AskedRating[]> {
    const ended = [...(this.#interactions.interactions.values())].filter((r) => r.endedAt !== null && r.endedAt >= since);
    return ended
      .sort((a, b) => a.endedAt! - b.endedAt! || a.id.localeCompare(b.id))
      .flatMap((r) => {
        const d = this.deliveries.get(ratingQuestionId(r.id));
        return d ? [{ interactionId: r.id, customerNumber: d.to, serviceNumber: d.from, askedAt: r.endedAt! }] : [];
      });
  }
  async sendingDeliveries() {
    return [...this.deliveries.values()].filter((d) => d.status === 'sending').map((d) => ({ ...d }));
  }
}

export class FakeSender implements SmsSender {
  readonly sent: OutboundSms[] = [];
  answer: () => Promise<{ status: string }> = async () => ({ status: 'accepted' });
  async send(sms: OutboundSms) {
    this.sent.push(sms);
    return this.answer();
  }
}

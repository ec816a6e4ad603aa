import { invalid, notFound } from './errors.ts';
import type { Clock, Timers } from './ports.ts';
import { RATING_PROMPT } from './sms-rating.ts';
import { countSegments } from './sms-segments.ts';
import {
  GATEWAY_STATUSES,
  SmsSendRefused,
  isGatewayStatus,
  ratingQuestionId,
  supersedes,
  type GatewayStatus,
  type SmsDelivery,
  type SmsDeliveryStatus,
  type SmsGatewayKind,
  type SmsRoute,
  type SmsSender,
  type SmsStore,
} from './sms-ports.ts';
import { SEND_RETRY_MS } from './sms-send-retries.ts';
import { KeyedQueue } from './util/keyed-queue.ts';

// Texts to SMS customers (agent replies, the rating question) and what the gateways report of them.
// Each text has an id (the reply's timeline entry id, or `rating:<chat id>`) that its delivery row and
// the gateway's reports name; it is stored as sending before it is handed to the gateway.

export interface SmsOutboxDeps {
  store: SmsStore;
  clock: Clock;
  timers: Timers;
  senders: Partial<Record<SmsGatewayKind, SmsSender>>;
  onError: (err: unknown, what: string) => void;
}


export interface OutboundText {
  id: string;
  text: string;
}

export class SmsOutbox {
  readonly #d: SmsOutboxDeps;
  readonly #queue: KeyedQueue;

  constructor(deps: SmsOutboxDeps) {
    this.#d = deps;
    this.#queue = new KeyedQueue((err) => deps.onError(err, 'sending an SMS'));
  }

  // One chat's texts leave in the order they were handed here. The route is read in that order too.
  send(interactionId: string, id: string, text: string, routeOf: () => Promise<SmsRoute>): Promise<void> {
    return this.#queue.run(`send\u0000${interactionId}`, async () => {
      const route = await routeOf();
      const { segments, encoding } = countSegments(text);
      const delivery: SmsDelivery = {
        id,
        interactionId,
        from: route.serviceNumber,
        to: route.customerNumber,
        segments,
        encoding,
        status: 'sending',
        detail: null,
        updatedAt: this.#d.clock.now(),
      };
      await this.#save(delivery);
      const sender = this.#d.senders[route.gateway];
      if (!sender) {
        await this.#updateStatus(id, 'failed', `No ${route.gateway} SMS gateway is configured.`);
        return;
      }
      let answer: { status: string };
      for (let attempt = 0; ; attempt++) {
        try {
          answer = await sender.send({ id, from: delivery.from, to: delivery.to, text, segments });
          break;
        } catch (err) {
          const why = (err as Error).message || String(err);
          if (err instanceof SmsSendRefused || attempt >= SEND_RETRY_MS.length) return void (await this.#updateStatus(id, 'failed', why));
          await this.#wait(attempt);
          // A report of the gateway (it had the text after all) settled it meanwhile.
          if ((await this.#d.store.getDelivery(id))?.status !== 'sending') return;
        }
      }
      const status = isGatewayStatus(answer.status) ? answer.status : 'accepted';
      await this.#updateStatus(id, status, isGatewayStatus(answer.status) ? null : `gateway answered "${String(answer.status)}"`);
    });
  }

  // A delivery report from a gateway (callback or its answer to the send).
  async onDeliveryStatus(id: string, status: GatewayStatus, detail: string | null = null): Promise<SmsDelivery> {
    if (!isGatewayStatus(status)) throw invalid('invalid_status', `status must be one of ${GATEWAY_STATUSES.join(', ')}.`);
    const updated = await this.#updateStatus(id, status, detail);
    if (!updated) throw notFound('unknown_message', `No SMS was sent with id ${id}.`);
    return updated;
  }

  #updateStatus(id: string, status: SmsDeliveryStatus, detail: string | null): Promise<SmsDelivery | undefined> {
    return this.#queue.run(`status\u0000${id}`, async () => {
      const current = await this.#d.store.getDelivery(id);
      if (!current) return undefined;
      if (!supersedes(status, current.status)) return current;
      const next: SmsDelivery = { ...current, status, detail, updatedAt: this.#d.clock.now() };
      await this.#save(next);
      return next;
    });
  }

  // A delivery row the store failed to write (a failover, a busy file) is written again on the sends'
  // schedule: without its row a reply would never be sent (the next start resends only the replies
  // after the last one answered), and without its status it would be sent again at the next start.
  async #save(delivery: SmsDelivery): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#d.store.saveDelivery(delivery);
      } catch (err) {
        if (attempt >= SEND_RETRY_MS.length) throw err;
        this.#d.onError(err, `storing the delivery of SMS ${delivery.id} (tried again)`);
        await this.#wait(attempt);
      }
    }
  }

  #wait(attempt: number): Promise<void> {
    return new Promise<void>((resolve) => this.#d.timers.schedule(SEND_RETRY_MS[attempt]!, resolve));
  }

  // After a restart, a chat's texts to send (again), in the order they were written: those stored as
  // sending (a gateway that had them can tell by their id: the webhook's `id`, SIP's X-SMS-Id header), the replies after the last one a gateway
  // answered that never got as far (they waited behind one that hung), and the rating question when
  // `question` (it still stands) and it was never answered either.
  async unanswered(interactionId: string, replies: readonly OutboundText[], question: boolean): Promise<OutboundText[]> {
    const deliveries = await this.deliveries(interactionId);
    const unanswered = (id: string) => deliveries.get(id)?.status === 'sending';
    const lastAnswered = replies.findLastIndex((r) => deliveries.has(r.id) && !unanswered(r.id));
    const texts = replies.filter((r, i) => unanswered(r.id) || (!deliveries.has(r.id) && i > lastAnswered));
    const questionId = ratingQuestionId(interactionId);
    if (question && (unanswered(questionId) || !deliveries.has(questionId))) texts.push({ id: questionId, text: RATING_PROMPT });
    return texts;
  }

  // Delivery of the texts of a chat, by id.
  async deliveries(interactionId: string): Promise<Map<string, SmsDelivery>> {
    return new Map((await this.#d.store.listDeliveries(interactionId)).map((d) => [d.id, d]));
  }
}

import { checkText } from './chat-rules.ts';
import type { ContactCenter } from './contact-center.ts';
import { DomainError, invalid, notFound } from './errors.ts';
import type { DomainEvent, DomainEvents } from './events.ts';
import type { InteractionRecord } from './interaction.ts';
import { E164, LIMITS } from './limits.ts';
import type { Clock, Timers } from './ports.ts';
import { checkConcat, groupKey, SmsReassembler, splitText, type AssembledSms } from './sms-reassembly.ts';
import { SmsChats } from './sms-chats.ts';
import { SmsOutbox } from './sms-outbox.ts';
import { ratingQuestionId, type GatewayStatus, type InboundSms, type SeenSms, type SmsDelivery, type SmsGatewayKind, type SmsRoute, type SmsSender, type SmsStore, type StoredPart } from './sms-ports.ts';
import type { TimelineEntry } from './timeline.ts';
import { RATING_PROMPT, RATING_REPLY_WINDOW_MS, RatingQuestions, type SmsRatings } from './sms-rating.ts';
import { KeyedQueue } from './util/keyed-queue.ts';
import { RetryLater } from './util/retry-later.ts';

// SMS as a chat channel. A text to one of our numbers joins the open SMS chat from that sender to that
// number, or opens one on the service the number belongs to, offered like any chat with the sender's
// number as the customer's phone. Agent messages go back as SMS through the gateway the chat came in
// by, with their delivery status. Gateways (webhook, SIP MESSAGE) are adapters: receive(), SmsSender.

export type InboundResult =
  // interactionId is null only for a text whose parts were all blank (nothing to show).
  | { status: 'delivered'; interactionId: string | null }
  | { status: 'part_stored' }
  | { status: 'duplicate' };

export interface SmsDeskDeps {
  center: ContactCenter;
  events: DomainEvents;
  store: SmsStore;
  clock: Clock;
  timers: Timers;
  // Our receiving numbers (E.164) and the service each belongs to.
  numbers: Readonly<Record<string, string>>;
  // How long a concatenated text waits for a missing part before it is shown with a gap.
  partWaitMs: number;
  senders: Partial<Record<SmsGatewayKind, SmsSender>>;
  // Stores a rating (Closure.rate); absent, SMS chats are not asked for one.
  ratings?: SmsRatings;
  // Work started by a timer or an event has no caller to answer: failures are reported here.
  onError: (err: unknown, what: string) => void;
}

// How long a received text's id is kept to know a gateway's retry of it (SMSCs give up within days).
export const SEEN_SMS_KEPT_MS = 7 * 86_400_000;

export class SmsDesk {
  readonly #d: SmsDeskDeps;
  readonly #reassembler: SmsReassembler<StoredPart>;
  readonly #chats: SmsChats;
  // Work on one key (a conversation) runs one at a time, in call order, whatever became of the work before it.
  readonly #queue: KeyedQueue;
  readonly #outbox: SmsOutbox;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #unsubscribe: () => void;
  readonly #questions = new RatingQuestions();
  readonly #retries: RetryLater;

  constructor(deps: SmsDeskDeps) {
    this.#d = deps;
    this.#chats = new SmsChats(deps);
    this.#queue = new KeyedQueue((err) => deps.onError(err, 'SMS'));
    this.#outbox = new SmsOutbox(deps);
    this.#retries = new RetryLater(deps.timers);
    for (const [number, serviceId] of Object.entries(deps.numbers)) {
      if (!E164.test(number) || !serviceId) throw new Error(`SMS number "${number}" -> "${serviceId}" is not an E.164 number and a service`);
    }
    this.#reassembler = new SmsReassembler<StoredPart>({
      clock: deps.clock,
      timers: deps.timers,
      waitMs: deps.partWaitMs,
      onExpired: (message) => this.#deliverUnasked(message.parts, () => this.#deliverAssembled(message), 0),
    });
    this.#unsubscribe = deps.events.subscribe((event) => this.#onEvent(event));
  }

  get numbers(): Readonly<Record<string, string>> {
    return this.#d.numbers;
  }

  // After a restart: rating questions stand again, parts still waiting are waited for again (from their
  // first arrival), and texts to customers that never got a gateway answer are sent.
  async recover(): Promise<void> {
    const acceptedAt = await this.#lastAccepted();
    await this.#recoverQuestions(acceptedAt);
    // A text's parts are added in one turn (one whose wait ran out is given whole, with its gaps).
    const texts = new Map<string, StoredPart[]>();
    for (const part of await this.#d.store.pendingParts()) {
      const key = part.total === 1 ? part.id : groupKey(part); // a whole text: #receiveWhole
      texts.set(key, [...(texts.get(key) ?? []), part]);
    }
    for (const parts of texts.values()) {
      const addAll = async (): Promise<void> => {
        for (const part of parts) await this.#addPart(part);
      };
      // One text that cannot be delivered stops neither the start nor the texts after it.
      await this.#queue.run<unknown>(conversationKey(parts[0]!), () => (parts[0]!.total === 1 ? this.#deliverKept(parts[0]!) : addAll())).catch((err: unknown) => {
        this.#d.onError(err, 'delivering an SMS kept over a restart');
        this.#retryStored(parts, err, 1);
      });
    }
    const chats = new Map<string, () => Promise<SmsRoute>>();
    for (const rec of this.#d.center.openInteractions()) if (rec.channel === 'sms') chats.set(rec.id, () => this.#chats.routeOf(rec));
    for (const d of await this.#d.store.sendingDeliveries()) if (!chats.has(d.interactionId)) chats.set(d.interactionId, () => this.#storedRoute(d));
    for (const [interactionId, route] of chats) await this.#resend(interactionId, route, acceptedAt);
  }

  // When an SMS chat still open was accepted, by conversation: a question asked before was ended by it.
  async #lastAccepted(): Promise<Map<string, number>> {
    const acceptedAt = new Map<string, number>();
    for (const rec of this.#d.center.openInteractions()) {
      if (rec.channel !== 'sms' || rec.acceptedAt === null) continue;
      const key = conversationKey({ from: rec.customer.phone, to: (await this.#chats.routeOf(rec)).serviceNumber });
      acceptedAt.set(key, Math.max(acceptedAt.get(key) ?? rec.acceptedAt, rec.acceptedAt));
    }
    return acceptedAt;
  }

  // A question asked before the restart is open again, unless a chat the customer opened since has been
  // accepted (see #onEvent).
  async #recoverQuestions(acceptedAt: Map<string, number>): Promise<void> {
    if (!this.#d.ratings) return;
    const since = this.#d.clock.now() - RATING_REPLY_WINDOW_MS;
    for (const q of await this.#d.store.ratingQuestionsSince(since)) {
      const key = conversationKey({ from: q.customerNumber, to: q.serviceNumber });
      if ((acceptedAt.get(key) ?? -Infinity) < q.askedAt && !(await this.#d.ratings.ratingOf(q.interactionId))) this.#questions.asked(key, q.interactionId, q.askedAt);
    }
  }

  async #resend(interactionId: string, routeOf: () => Promise<SmsRoute>, acceptedAt: Map<string, number>): Promise<void> {
    const entries = await this.#d.center.timeline(interactionId, 0, ['message', 'accepted', 'ended']);
    const replies = entries.filter(isAgentText).map((e) => ({ id: e.id, text: e.text ?? '' }));
    const endedAt = entries.find((e) => e.kind === 'ended')?.createdAt;
    // A handled chat's question stands for a while after its end (it may have waited behind a reply),
    // unless a chat the customer opened since was accepted: their next "2" belongs to that chat.
    const question =
      this.#d.ratings !== undefined &&
      endedAt !== undefined &&
      entries.some((e) => e.kind === 'accepted') &&
      this.#d.clock.now() - endedAt <= RATING_REPLY_WINDOW_MS &&
      !(await this.#acceptedSince(routeOf, acceptedAt, endedAt));
    for (const text of await this.#outbox.unanswered(interactionId, replies, question)) {
      if (text.id === ratingQuestionId(interactionId)) this.#track(this.#askForRating(interactionId, endedAt!, routeOf), 'asking for a rating by SMS');
      else this.#track(this.#outbox.send(interactionId, text.id, text.text, routeOf), 'resending an SMS reply');
    }
  }

  async #acceptedSince(routeOf: () => Promise<SmsRoute>, acceptedAt: Map<string, number>, since: number): Promise<boolean> {
    const route = await routeOf();
    return (acceptedAt.get(conversationKey({ from: route.customerNumber, to: route.serviceNumber })) ?? -Infinity) >= since;
  }

  // The route of a chat no longer open (so not in the routes kept here), as stored or as its text went.
  async #storedRoute(d: SmsDelivery): Promise<SmsRoute> {
    return (await this.#d.store.getRoute(d.interactionId)) ?? { interactionId: d.interactionId, customerNumber: d.to, serviceNumber: d.from, gateway: 'webhook', createdAt: d.updatedAt };
  }

  // The one way in for texts, whatever the gateway. Resolves once what was received is durable.
  // A carrier's text may hold U+0000, which PostgreSQL keeps in no text: it is dropped, not refused
  // (a refusal is final for the gateway or the trunk's carrier, and the text would be lost).
  async receive(received: InboundSms, unasked = false): Promise<InboundResult> {
    const sms = { ...received, text: received.text.replaceAll('\u0000', '') };
    if (!E164.test(sms.from)) throw invalid('invalid_number', 'from must be an E.164 number such as +15551234567.');
    if (!E164.test(sms.to)) throw invalid('invalid_number', 'to must be an E.164 number such as +15550009000.');
    const concat = sms.concat && sms.concat.total > 1 ? sms.concat : undefined;
    if (concat) {
      checkConcat(concat);
    } else checkText(sms.text);
    // In the conversation's turn from here on, before anything is awaited: texts a gateway sends a moment
    // apart are taken in the order they came (a read first, of a removed number's chat, could reorder).
    return this.#queue.run(conversationKey(sms), async (): Promise<InboundResult> => {
      const serviceId = this.#d.numbers[sms.to] ?? (await this.#chats.openChatOf(sms.from, sms.to))?.serviceId;
      if (!serviceId) throw notFound('unknown_number', `No service answers texts to ${sms.to}.`);
      const seen: SeenSms = { id: sms.id, from: sms.from, to: sms.to, receivedAt: this.#d.clock.now(), gateway: sms.gateway };
      const part: StoredPart | undefined = concat && { ...seen, text: sms.text, ...concat };
      if (!part && unasked) return this.#receiveWhole({ ...seen, text: sms.text, ref: 0, part: 1, total: 1 }, serviceId);
      await this.#d.center.requireService(serviceId);
      // A text is marked seen once it reached the chat, a part once it is stored.
      if (await this.#d.store.isSeen(sms.id)) return part ? this.#repeatedPart(part) : { status: 'duplicate' };
      if (!part) {
        const rec = await this.#deliver(sms.from, sms.to, sms.text, sms.id, sms.gateway, () => this.#d.store.markSeen(seen));
        return { status: 'delivered', interactionId: rec.id };
      }
      const verdict = this.#reassembler.classify(part);
      if (verdict === 'duplicate') {
        await this.#d.store.markSeen(seen);
        return { status: 'duplicate' };
      }
      if (verdict === 'late') {
        // Taken as received only once delivered: sent again after a failure, it is late again.
        const rec = await this.#deliver(part.from, part.to, this.#reassembler.late(part).text, part.id, part.gateway, () => {
          this.#reassembler.add(part);
          return this.#d.store.markSeen(seen);
        });
        return { status: 'delivered', interactionId: rec.id };
      }
      await this.#d.store.savePart(part);
      return this.#addPart(part);
    });
  }

  // A text from a gateway that will not send it again (the SIP trunk answered the carrier before the
  // desk saw it): kept (#receiveWhole), and a failure that may pass is tried again later.
  receiveUnasked(sms: InboundSms, attempt = 0): Promise<InboundResult> {
    return this.receive(sms, true).catch((err: unknown) => {
      if (!isRefusal(err)) this.#retries.schedule(attempt + 1, (next) => this.#track(this.receiveUnasked(sms, next), 'receiving a text again'));
      throw err;
    });
  }

  // A whole text no gateway sends again (`unasked`) is stored first, as the one part of a text of one: a
  // failure, a stop or a crash before it reached the chat leaves it to a retry or the next start.
  async #receiveWhole(kept: StoredPart, serviceId: string): Promise<InboundResult> {
    if (await this.#d.store.isSeen(kept.id)) return this.#deliverKept(kept);
    await this.#d.store.savePart(kept);
    await this.#d.center.requireService(serviceId).catch(async (err: unknown) => {
      if (isRefusal(err)) await this.#d.store.finishParts([kept.id]);
      throw err;
    });
    return this.#deliverKept(kept);
  }

  async #deliverKept(kept: StoredPart): Promise<InboundResult> {
    const stored = (await this.#d.store.pendingGroup(kept)).find((p) => p.id === kept.id);
    return stored ? { status: 'delivered', interactionId: await this.#deliverAssembled(wholeText(stored)) } : { status: 'duplicate' };
  }

  // A part stored before is a repeat, unless its text failed to reach the chat in a way that may pass
  // (its parts are still stored): the gateway's retry delivers it now. A part still waiting for its
  // siblings stays waiting; one whose saving seemed to fail (but went through) joins its text now.
  async #repeatedPart(part: StoredPart): Promise<InboundResult> {
    const waiting = this.#reassembler.isWaiting(part);
    const isNew = this.#reassembler.classify(part) === 'new';
    if (waiting && !isNew) return { status: 'duplicate' };
    const stored = await this.#d.store.pendingGroup(part);
    const mine = stored.find((p) => p.id === part.id);
    if (!mine) return { status: 'duplicate' };
    // Its text still has time to wait for its other parts: it waits, with the part's first arrival.
    if (isNew && (waiting || this.#d.clock.now() - mine.receivedAt < this.#d.partWaitMs)) return this.#addPart(mine);
    return { status: 'delivered', interactionId: await this.#deliverAssembled(this.#reassembler.again(stored)) };
  }

  // A text no gateway will send again (its parts were all answered as stored; its wait ran out, or it
  // was kept over a restart): a failure that may pass is tried again later, from its stored parts.
  #deliverUnasked(parts: readonly StoredPart[], deliver: () => Promise<unknown>, attempt: number): void {
    const tried = this.#queue.run(conversationKey(parts[0]!), deliver).catch((err: unknown) => {
      this.#retryStored(parts, err, attempt + 1);
      throw err;
    });
    this.#track(tried, 'delivering an SMS no gateway will send again');
  }

  #retryStored(parts: readonly StoredPart[], err: unknown, attempt: number): void {
    if (!isRefusal(err)) this.#retries.schedule(attempt, (next) => this.#deliverUnasked(parts, () => this.#deliverStored(parts), next));
  }

  // The text of these parts still stored (not another text's with the same reference), if any.
  async #deliverStored(parts: readonly StoredPart[]): Promise<void> {
    const stored = (await this.#d.store.pendingGroup(parts[0]!)).filter((p) => parts.some((mine) => mine.id === p.id));
    if (stored.length > 0) await this.#deliverAssembled(parts[0]!.total === 1 ? wholeText(stored[0]!) : this.#reassembler.again(stored));
  }

  async #addPart(part: StoredPart): Promise<InboundResult> {
    // 'late': its text was given while this part was being stored (its wait ran out meanwhile).
    const result = this.#reassembler.add(part);
    if (result.kind === 'complete' || result.kind === 'late') return { status: 'delivered', interactionId: await this.#deliverAssembled(result.message) };
    if (result.kind === 'duplicate') {
      await this.#d.store.finishParts([part.id]);
      return { status: 'duplicate' };
    }
    return { status: 'part_stored' };
  }

  // A refusal (the service was disabled, the number removed) finishes the parts, or every start would
  // try them again. Other failures leave them stored for a retry (#repeatedPart) or the next start.
  async #deliverAssembled(message: AssembledSms<StoredPart>): Promise<string | null> {
    const finish = () => this.#d.store.finishParts(message.parts.map((p) => p.id));
    // Parts that were all blank have nothing to show.
    if (!message.text.trim()) return finish().then(() => null);
    try {
      return (await this.#deliver(message.from, message.to, message.text, message.firstId, message.parts[0]!.gateway, finish)).id;
    } catch (err) {
      if (isRefusal(err)) await finish();
      throw err;
    }
  }

  // Appends the text to the sender's open SMS chat to that number (or a new one). The inbound id is the
  // message's client id, so a text delivered again (a crash, the gateway's retry) is not shown twice: a
  // piece some chat of the conversation holds already, ended since or not, stays there alone.
  // `received` marks what was delivered as received (seen, or its parts finished); only then is a rating
  // question answered (a gateway's retry after a failure finds it standing). Any other text leaves the
  // question standing until an agent accepts the chat it opened (#onEvent): a "Thanks!" crossing the
  // question does not make the score that answers it a message.
  async #deliver(from: string, to: string, text: string, inboundId: string, gateway: SmsGatewayKind, received: () => Promise<unknown>): Promise<{ id: string }> {
    const conversation = conversationKey({ from, to });
    const since = this.#d.clock.now() - SEEN_SMS_KEPT_MS;
    const route = { customerNumber: from, serviceNumber: to };
    // A retry of a text a chat holds already (its seen id was not stored) is that message, not a score.
    const posted = await this.#d.store.chatHolding(route, `sms:${inboundId}`, since);
    const rated = posted ? null : await this.#questions.rateBy(conversation, text, this.#d.clock.now(), this.#d.ratings);
    if (rated) {
      await received();
      this.#questions.answered(conversation);
      return { id: rated };
    }
    let rec: { id: string } | undefined;
    for (const [i, chunk] of splitText(text, LIMITS.textMaxChars).entries()) {
      const clientId = `sms:${inboundId}${i === 0 ? '' : `#${i + 1}`}`;
      const holding = i === 0 ? posted : await this.#d.store.chatHolding(route, clientId, since);
      if (holding) {
        rec = { id: holding };
        continue;
      }
      rec = await this.#chats.postInChat(from, to, gateway, chunk, clientId);
    }
    await received();
    return rec!;
  }

  // Which of our numbers and which gateway an SMS chat uses (SmsChats.routeOf).
  routeOf(rec: InteractionRecord): Promise<SmsRoute> {
    return this.#chats.routeOf(rec);
  }

  #onEvent(event: DomainEvent): void {
    if (event.type === 'interaction_changed' && isHandledSmsEnd(event.interaction) && this.#d.ratings) {
      const rec = event.interaction;
      this.#track(this.#askForRating(rec.id, this.#d.clock.now(), () => this.#chats.routeOf(rec)), 'asking for a rating by SMS');
    }
    if (event.type === 'interaction_changed' && event.interaction.state === 'ended') this.#chats.forget(event.interaction.id);
    if (event.type === 'interaction_changed' && event.interaction.channel === 'sms' && event.interaction.state === 'active') {
      const rec = event.interaction; // accepted: the customer's next score is this chat's message
      this.#track(this.#chats.routeOf(rec).then((r) => this.#questions.answered(conversationKey({ from: r.customerNumber, to: r.serviceNumber }))), 'ending a rating question');
    }
    if (event.type !== 'entry_appended' || event.interaction.channel !== 'sms' || !isAgentText(event.entry)) return;
    this.#track(this.#sendText(event.interaction, event.entry.id, event.entry.text ?? ''), 'sending an SMS reply');
  }

  async #askForRating(interactionId: string, askedAt: number, routeOf: () => Promise<SmsRoute>): Promise<void> {
    const route = await routeOf();
    this.#questions.asked(conversationKey({ from: route.customerNumber, to: route.serviceNumber }), interactionId, askedAt);
    await this.#outbox.send(interactionId, ratingQuestionId(interactionId), RATING_PROMPT, async () => route);
  }

  // Delivery of the agent messages of a chat, by timeline entry id.
  deliveries(interactionId: string): Promise<Map<string, SmsDelivery>> {
    return this.#outbox.deliveries(interactionId);
  }

  // A delivery report from a gateway (callback or its answer to the send).
  onDeliveryStatus(id: string, status: GatewayStatus, detail: string | null = null): Promise<SmsDelivery> {
    return this.#outbox.onDeliveryStatus(id, status, detail);
  }

  // One chat's texts (agent replies, the rating question) leave in the order they were written.
  #sendText(rec: InteractionRecord, id: string, text: string): Promise<void> {
    return this.#outbox.send(rec.id, id, text, () => this.#chats.routeOf(rec));
  }

  // Forgets the ids of texts received more than SEEN_SMS_KEPT_MS ago (parts of a text that has not
  // reached the chat yet are kept); returns how many. Run by the leader, at start and then hourly.
  forgetSeen(): Promise<number> {
    return this.#d.store.forgetSeenBefore(this.#d.clock.now() - SEEN_SMS_KEPT_MS);
  }

  // Resolves once every send and delayed delivery started so far is done (for tests and shutdown).
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  get pendingTexts(): number {
    return this.#reassembler.pendingGroups;
  }

  shutdown(): void {
    this.#unsubscribe();
    this.#reassembler.shutdown();
    this.#retries.shutdown();
  }

  #track(work: Promise<unknown>, what: string): void {
    const p = work.catch((err: unknown) => this.#d.onError(err, what));
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }
}

const conversationKey = (sms: { from: string; to: string }) => `in\u0000${sms.from}\u0000${sms.to}`;

const isHandledSmsEnd = (rec: InteractionRecord) => rec.channel === 'sms' && rec.state === 'ended' && rec.acceptedAt !== null;

// Refused by the rules: the same text again gets the same answer (unavailable and rate limited may pass).
const isRefusal = (err: unknown) => err instanceof DomainError && err.kind !== 'unavailable' && err.kind !== 'rate_limited';

const isAgentText = (e: TimelineEntry) => e.kind === 'message' && e.author === 'agent' && typeof e.text === 'string';

// A whole text kept as the one part of a text of one (#receiveWhole), as the chat is given it.
const wholeText = (p: StoredPart): AssembledSms<StoredPart> => ({ key: p.id, from: p.from, to: p.to, ref: 0, total: 1, text: p.text, parts: [p], firstId: p.id, missing: [], late: false });

import type { SmsPart } from './sms-reassembly.ts';
import type { SmsEncoding } from './sms-segments.ts';

// What the SMS desk exchanges with its adapters: the texts that come in and go out through the gateways,
// the delivery statuses gateways report (their order and their labels), and what the store keeps.

export type SmsGatewayKind = 'webhook' | 'sip';

export interface OutboundSms {
  // The agent message's timeline entry id: status callbacks name it.
  id: string;
  from: string;
  to: string;
  text: string;
  segments: number;
}

// Implemented by each gateway adapter. `status` is what the gateway answered (see GATEWAY_STATUSES).
// A send that throws SmsSendRefused failed for good; any other failure (no answer, "not now") is tried
// again under the same id (SmsOutbox).
export interface SmsSender {
  send(sms: OutboundSms): Promise<{ status: string }>;
}

// The gateway refused the text itself (an HTTP 4xx: a bad number, no credit): sending it again would not help.
export class SmsSendRefused extends Error {
  override name = 'SmsSendRefused';
}

export const GATEWAY_STATUSES = ['queued', 'accepted', 'sent', 'delivered', 'failed', 'undelivered', 'rejected', 'expired'] as const;
export type GatewayStatus = (typeof GATEWAY_STATUSES)[number];
export type SmsDeliveryStatus = 'sending' | GatewayStatus;

export const isGatewayStatus = (s: unknown): s is GatewayStatus => (GATEWAY_STATUSES as readonly unknown[]).includes(s);

// Statuses only move forward: a late "sent" does not undo "delivered". Rank 3 is final.
const RANK: Record<SmsDeliveryStatus, number> = {
  sending: 0,
  queued: 1,
  accepted: 1,
  sent: 2,
  delivered: 3,
  failed: 3,
  undelivered: 3,
  rejected: 3,
  expired: 3,
};

export const DELIVERY_LABELS: Record<SmsDeliveryStatus, string> = {
  sending: 'Sending…',
  queued: 'Queued',
  accepted: 'Accepted by the gateway',
  sent: 'Sent',
  delivered: 'Delivered',
  failed: 'Not sent',
  undelivered: 'Not delivered',
  rejected: 'Rejected',
  expired: 'Expired',
};

export const isFinalStatus = (s: SmsDeliveryStatus) => RANK[s] === 3;

// A delivery receipt is the strongest evidence there is; otherwise a final status stays.
export function supersedes(next: SmsDeliveryStatus, current: SmsDeliveryStatus): boolean {
  if (next === current) return false;
  if (next === 'delivered') return true;
  return !isFinalStatus(current) && RANK[next] >= RANK[current];
}

export interface SmsRoute {
  interactionId: string;
  customerNumber: string;
  // Our number the customer texted; replies go out from it.
  serviceNumber: string;
  gateway: SmsGatewayKind;
  createdAt: number;
}

export interface StoredPart extends SmsPart {
  gateway: SmsGatewayKind;
}

export interface SmsDelivery {
  id: string;
  interactionId: string;
  from: string;
  to: string;
  segments: number;
  encoding: SmsEncoding;
  status: SmsDeliveryStatus;
  detail: string | null;
  updatedAt: number;
}

// The rating question sent when a handled SMS chat ended is the delivery `rating:<chat id>`.
export const RATING_QUESTION_PREFIX = 'rating:';
export const ratingQuestionId = (interactionId: string) => `${RATING_QUESTION_PREFIX}${interactionId}`;

export interface AskedRating {
  interactionId: string;
  customerNumber: string;
  serviceNumber: string;
  // When the chat ended (and the question was asked).
  askedAt: number;
}

export interface SeenSms {
  id: string;
  from: string;
  to: string;
  receivedAt: number;
  gateway: SmsGatewayKind;
}

// Kept by the store; every write resolves once it is durable.
export interface SmsStore {
  // True for any inbound id stored and not yet forgotten (a part still waiting for its siblings included).
  isSeen(id: string): Promise<boolean>;
  markSeen(sms: SeenSms): Promise<void>;
  savePart(part: StoredPart): Promise<void>;
  // The parts reached the chat: they are kept as seen ids only.
  finishParts(ids: string[]): Promise<void>;
  // Forgets the seen ids received before `before`, parts still waiting for the chat excepted; returns
  // how many.
  forgetSeenBefore(before: number): Promise<number>;
  pendingParts(): Promise<StoredPart[]>;
  // The parts of one text (same sender, number, reference and total) still stored, oldest first.
  pendingGroup(text: Pick<StoredPart, 'from' | 'to' | 'ref' | 'total'>): Promise<StoredPart[]>;
  saveRoute(route: SmsRoute): Promise<void>;
  getRoute(interactionId: string): Promise<SmsRoute | undefined>;
  // The SMS chat of this conversation, opened at or after `since`, that holds a message with this
  // client id (a text delivered before, sent again by its gateway), if any.
  chatHolding(conversation: Pick<SmsRoute, 'customerNumber' | 'serviceNumber'>, clientId: string, since: number): Promise<string | undefined>;
  saveDelivery(delivery: SmsDelivery): Promise<void>;
  getDelivery(id: string): Promise<SmsDelivery | undefined>;
  listDeliveries(interactionId: string): Promise<SmsDelivery[]>;
  // Texts handed to a gateway that never answered (status `sending`), of every chat, ended or not.
  sendingDeliveries(): Promise<SmsDelivery[]>;
  // The rating questions of chats that ended at or after `since`, oldest first.
  ratingQuestionsSince(since: number): Promise<AskedRating[]>;
}

export interface InboundSms {
  id: string;
  from: string;
  to: string;
  text: string;
  concat?: { ref: number; part: number; total: number };
  gateway: SmsGatewayKind;
}

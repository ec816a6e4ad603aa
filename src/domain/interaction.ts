import { isLive, type CallLeg } from './call-leg.ts';
import type { Handoff } from './handoff.ts';
import { nextState, type StateTable } from './state-table.ts';
import type { VideoSession } from './video-session.ts';

// One engagement of a customer with a service. The chat is its primary component; call legs and
// video attach to it (see call-leg.ts, video-session.ts).
export type InteractionState = 'queued' | 'offered' | 'active' | 'ended';
// requeue: the agent offered or handling it was disabled; the chat waits for another agent.
export type InteractionEvent = 'offer' | 'offer_timeout' | 'accept' | 'requeue' | 'end';

export const INTERACTION_STATES: StateTable<InteractionState, InteractionEvent> = {
  queued: { offer: 'offered', end: 'ended' },
  offered: { accept: 'active', offer_timeout: 'queued', requeue: 'queued', end: 'ended' },
  active: { requeue: 'queued', end: 'ended' },
  ended: {},
};

export type Channel = 'web' | 'sms';
export type Party = 'customer' | 'agent' | 'system';

export interface Customer {
  name: string;
  phone: string;
}

export interface GeoLocation {
  lat: number;
  lon: number;
  accuracyM?: number;
}

export interface CustomerContext {
  fields: Record<string, string>;
  location?: GeoLocation;
}

// The key's hash (it finds the chat again), and the random salt the token was derived with.
export interface StartKey {
  hash: string;
  tokenSalt: string;
}

export interface InteractionRecord {
  id: string;
  serviceId: string;
  channel: Channel;
  customer: Customer;
  tokenHash: string;
  // The Idempotency-Key it was started with (chat-starts.ts); null without one.
  startKey: StartKey | null;
  state: InteractionState;
  offeredTo: string | null;
  offeredAt: number | null;
  agentId: string | null;
  createdAt: number;
  // The first acceptance: kept when the chat is requeued (acceptance.ts).
  acceptedAt: number | null;
  // Back in the queue since (its agent was disabled), until accepted again; null otherwise.
  requeuedAt: number | null;
  // Since when the agent holding it now has it (their acceptance, or the transfer to them): the
  // supervisor's floor counts the conversation from there. null while nobody holds it.
  heldSince: number | null;
  endedAt: number | null;
  endedBy: Party | null;
  context: CustomerContext;
  lastSeq: number;
  // Every call placed in this chat, oldest first; at most one is live at a time.
  callLegs: CallLeg[];
  // The current or last video session.
  video: VideoSession | null;
  // A transfer or consult in progress (handoff.ts). Held by the leader only, like a routing offer's
  // timer: after a restart the interaction is back with the agent who had it.
  handoff?: Handoff | null;
}

// A chat just started: waiting in its service's queue, nothing else yet.
type NewInteractionFields = Pick<InteractionRecord, 'id' | 'serviceId' | 'channel' | 'customer' | 'tokenHash' | 'createdAt' | 'context'> & { startKey?: StartKey | null };
export function newInteraction(fields: NewInteractionFields): InteractionRecord {
  const nothingYet = { offeredTo: null, offeredAt: null, agentId: null, acceptedAt: null, requeuedAt: null, heldSince: null, endedAt: null, endedBy: null };
  return { startKey: null, ...fields, state: 'queued', ...nothingYet, lastSeq: 0, callLegs: [], video: null };
}

export function transition(rec: InteractionRecord, event: InteractionEvent): void {
  rec.state = nextState(INTERACTION_STATES, 'interaction', rec.state, event);
}

export function isOpen(rec: InteractionRecord): boolean {
  return rec.state !== 'ended';
}

// The agent it is offered to now, or the one holding it: the live desktop's rule.
export function holdsOrIsOffered(rec: InteractionRecord, agentId: string): boolean {
  return rec.agentId === agentId || rec.offeredTo === agentId;
}

// Who reads an interaction (its whole timeline, photos and recordings): the agent who holds it or is
// offered it now; an agent who worked it before (`workedBy`: a transfer, a consult's completion) only
// once it has ended, so the next agent's chat is not read over their shoulder while it goes on.
export function mayRead(rec: InteractionRecord, agentId: string, workedBy: readonly string[]): boolean {
  return holdsOrIsOffered(rec, agentId) || (rec.state === 'ended' && workedBy.includes(agentId));
}

// The call up in this chat right now, if any (an earlier one may have failed or been released).
export function liveLeg(rec: InteractionRecord): CallLeg | undefined {
  return rec.callLegs.find(isLive);
}

// Context arrives in pieces from the app: fields merge key by key, a new location replaces the old one.
export function mergeContext(current: CustomerContext, update: Partial<CustomerContext>): CustomerContext {
  return {
    fields: { ...current.fields, ...(update.fields ?? {}) },
    location: update.location ?? current.location,
  };
}

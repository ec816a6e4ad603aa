import type { Party } from './interaction.ts';
import { agentHearsSupervisor, type SupervisionState } from './supervision.ts';

// Everything that happens in an interaction, in order. `seq` is per interaction and gap-free, which is
// what lets a reconnecting page ask for "everything after n" and get no gap and no duplicate.
export type TimelineKind =
  | 'message'
  | 'attachment'
  | 'context'
  | 'offered'
  | 'accepted'
  | 'offer_expired'
  | 'requeued'
  | 'call'
  | 'video'
  | 'recording'
  | 'supervision' // a supervisor joined, changed mode or left a call (supervision.ts)
  | 'ended'
  // Closure: the agent's disposition and notes (after-call-work.ts), the customer's rating (rating.ts).
  | 'wrap_up'
  | 'rating'
  // A transfer or consult: offered, accepted, returned, cancelled, consulted, completed (handoff.ts).
  | 'handoff';

export interface AttachmentInfo {
  attachmentId: string;
  contentType: string;
  size: number;
  fileName: string;
}

export interface TimelineEntry {
  id: string;
  interactionId: string;
  seq: number;
  kind: TimelineKind;
  author: Party;
  agentId: string | null;
  text: string | null;
  clientId: string | null;
  attachment: AttachmentInfo | null;
  data: Record<string, unknown> | null;
  createdAt: number;
}

// What the customer's own client is shown: the conversation and the milestones of their chat.
const CUSTOMER_VISIBLE: ReadonlySet<TimelineKind> = new Set(['message', 'attachment', 'accepted', 'video', 'ended']);

// What a rule says about a new timeline entry; its id, seq and time are given when it is appended.
export type EntryDraft = Pick<TimelineEntry, 'kind' | 'author'> & Partial<Pick<TimelineEntry, 'agentId' | 'text' | 'clientId' | 'attachment' | 'data'>>;

export function visibleToCustomer(entry: TimelineEntry): boolean {
  return CUSTOMER_VISIBLE.has(entry.kind);
}

// What agents are shown, in their chat panel and in their History alike: routing's own milestones
// (offers made and expired) stay out, and a supervisor's entries show only when the agent starts
// hearing them (whisper, barge): listening stays silent. Monitor shows everything; the customer never
// sees a supervisor (CUSTOMER_VISIBLE).
export function shownToAgents(entry: TimelineEntry): boolean {
  if (entry.kind === 'supervision') return agentHearsSupervisor((entry.data as { state?: SupervisionState } | null)?.state ?? 'ended');
  return entry.kind !== 'offered' && entry.kind !== 'offer_expired';
}

export function isConversation(entry: TimelineEntry): boolean {
  return entry.kind === 'message' || entry.kind === 'attachment';
}

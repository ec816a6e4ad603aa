import { transition, type InteractionRecord } from './interaction.ts';

// An interaction's acceptance and its return to the queue (its agent was disabled). The first
// acceptance stays: the wallboard's service level, handled chats and handle time count from it, so a
// chat answered in time and then requeued is neither a miss nor an abandon. requeuedAt says since when
// it waits again, for the live wait.

export function markAccepted(rec: InteractionRecord, agentId: string, now: number): void {
  transition(rec, 'accept');
  rec.agentId = agentId;
  rec.acceptedAt ??= now;
  rec.requeuedAt = null;
  rec.heldSince = now;
}

// Requeued while only offered, the customer's wait goes on: it began at arrival or at an earlier requeue.
export function markRequeued(rec: InteractionRecord, now: number): void {
  if (rec.state === 'active') rec.requeuedAt = now;
  transition(rec, 'requeue');
  rec.agentId = null;
  rec.heldSince = null;
}

// When the customer's current wait began.
export const waitingSince = (rec: { createdAt: number; requeuedAt: number | null }): number => rec.requeuedAt ?? rec.createdAt;

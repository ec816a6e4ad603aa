import type { Closure } from '../../domain/closure.ts';
import type { Service } from '../../domain/directory.ts';
import type { InteractionRecord } from '../../domain/interaction.ts';
import type { TimelineEntry } from '../../domain/timeline.ts';

// The wrap-up area of an ended interaction the agent handled: the form (Disposition, Notes, Done)
// until Done, then what was recorded. Null where there is no wrap-up (not ended, never accepted).
export async function wrapUpView(rec: InteractionRecord, closure: Closure, service: Service) {
  if (rec.state !== 'ended' || rec.agentId === null || rec.acceptedAt === null) return null;
  const done = await closure.wrapUpOf(rec.id);
  return {
    codes: service.dispositionCodes ?? [],
    done: done ? { disposition: done.disposition ?? '—', notes: done.notes } : null,
  };
}

export type WrapUpView = Awaited<ReturnType<typeof wrapUpView>>;

// The history list's columns of an interaction's closure.
export async function closureColumns(closure: Closure, interactionId: string) {
  const [wrapUp, rating] = await Promise.all([closure.wrapUpOf(interactionId), closure.ratingOf(interactionId)]);
  return { disposition: wrapUp?.disposition ?? '—', rating: rating ? `${rating.score}/5` : '—' };
}

export function wrapUpSummary(e: TimelineEntry, agentName: string): string {
  const disposition = (e.data as { disposition?: string | null } | null)?.disposition;
  return `Wrap-up by ${agentName}: ${disposition ?? 'no disposition'}${e.text ? `. Notes: ${e.text}` : ''}`;
}

export function ratingSummary(e: TimelineEntry): string {
  const score = (e.data as { score?: number } | null)?.score;
  return `Customer rated ${score ?? '?'}/5${e.text ? `: ${e.text}` : ''}`;
}

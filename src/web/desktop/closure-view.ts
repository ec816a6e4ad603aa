import type { RatingRecord, WrapUpRecord } from '../../domain/closure-ports.ts';
import type { Closure } from '../../domain/closure.ts';
import type { Service } from '../../domain/directory.ts';
import type { InteractionRecord } from '../../domain/interaction.ts';
import type { TimelineEntry } from '../../domain/timeline.ts';
import { wrapUpHolder } from '../../domain/wrap-up.ts';

// The wrap-up area of an ended interaction: to the agent who owes it, the form (Disposition, Notes,
// Done) until Done; to others (an agent before a transfer), who owes it; then, to all, what was
// recorded. Null where there is no wrap-up (not ended, never accepted).
export async function wrapUpView(rec: InteractionRecord, viewer: string | null, closure: Closure, service: Service, agentName: (id: string) => Promise<string>) {
  const holder = wrapUpHolder(rec);
  if (holder === null) return null;
  const done = await closure.wrapUpOf(rec.id);
  return {
    codes: service.dispositionCodes ?? [],
    done: done ? { disposition: done.disposition ?? '—', notes: done.notes } : null,
    owedBy: done || holder === viewer ? null : await agentName(holder),
  };
}

export type WrapUpView = Awaited<ReturnType<typeof wrapUpView>>;

// The history list's columns of an interaction's closure (read with the history's rows).
export function closureColumns(wrapUp: WrapUpRecord | null, rating: RatingRecord | null) {
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

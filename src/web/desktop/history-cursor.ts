import { invalid } from '../../domain/errors.ts';
import type { InteractionRecord } from '../../domain/interaction.ts';
import type { HistoryQuery } from '../../domain/ports.ts';

// History's pages: the Older link carries the last row shown, `before=<ended at, ms>.<interaction id>`
// (keyset paging: a page costs the same however far back, and rows ending meanwhile shift nothing).
export const HISTORY_PAGE_ROWS = 100;
const CURSOR = /^(\d{1,15})\.(.{1,200})$/s;

export function olderHref(last: InteractionRecord): string {
  return `/desktop/history?before=${last.endedAt}.${encodeURIComponent(last.id)}`;
}

// Absent: the first page. Anything else than what olderHref writes is refused, and nothing is read.
export function historyCursor(raw: unknown): HistoryQuery['before'] {
  if (raw === undefined) return undefined;
  const m = typeof raw === 'string' ? CURSOR.exec(raw) : null;
  if (!m) throw invalid('invalid_cursor', 'before must be <ended at in ms>.<interaction id>, as the Older link gives it.');
  return { endedAt: Number(m[1]), id: m[2]! };
}

import type { RawData } from 'ws';

// The one message a desktop or supervisor page sends on its socket: catch up one interaction's
// timeline after `after`; `redraw`: and its state (an answer just drawn may be older than a push).
// Anything else (unparsable, `null`, a number, htmx's own sends) is nothing.
export function syncRequestOf(data: RawData): { interaction: string; after: number; redraw: boolean } | null {
  let msg: unknown;
  try {
    msg = JSON.parse(String(data));
  } catch {
    return null;
  }
  if (typeof msg !== 'object' || msg === null) return null;
  const { type, interaction, after, redraw } = msg as { type?: unknown; interaction?: unknown; after?: unknown; redraw?: unknown };
  return type === 'sync' && typeof interaction === 'string' && Number.isInteger(after) ? { interaction, after: Number(after), redraw: redraw === true } : null;
}

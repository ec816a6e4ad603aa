import type { RawData } from 'ws';

// The one message a desktop or supervisor page sends on its socket: catch up one interaction's
// timeline after `after`. Anything else (unparsable, `null`, a number, htmx's own sends) is nothing.
export function syncRequestOf(data: RawData): { interaction: string; after: number } | null {
  let msg: unknown;
  try {
    msg = JSON.parse(String(data));
  } catch {
    return null;
  }
  if (typeof msg !== 'object' || msg === null) return null;
  const { type, interaction, after } = msg as { type?: unknown; interaction?: unknown; after?: unknown };
  return type === 'sync' && typeof interaction === 'string' && Number.isInteger(after) ? { interaction, after: Number(after) } : null;
}

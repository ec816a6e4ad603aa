// Q.850 hangup causes as Asterisk reports them, in the words an agent reads on the desktop.
const CAUSES: Record<number, string> = {
  1: 'invalid number',
  3: 'no route to the number',
  16: 'normal clearing',
  17: 'busy',
  18: 'no answer',
  19: 'no answer',
  20: 'customer unreachable',
  21: 'call rejected',
  27: 'destination out of order',
  28: 'invalid number',
  31: 'failed',
  34: 'trunk down (no circuit available)',
  38: 'trunk down (network out of order)',
  41: 'temporary failure',
  42: 'trunk congested',
  58: 'bearer capability not available',
  102: 'timed out',
  127: 'failed',
};

export function describeCause(code: number | undefined, text?: string): string {
  if (code !== undefined && CAUSES[code]) return CAUSES[code]!;
  return text ? text.toLowerCase() : 'failed';
}

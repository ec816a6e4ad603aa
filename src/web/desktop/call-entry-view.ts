import type { CallLeg } from '../../domain/call-leg.ts';
import type { TimelineEntry } from '../../domain/timeline.ts';

// A 'call' timeline entry: the call leg's state, in words. The leg's state table knows only "on hold":
// during a consult the entry says why (the agent is calling or talking with another agent), and once
// the call has moved to another agent (a transfer, a completed consult), whose call it is now.
export function callEntrySummary(e: TimelineEntry, agentName: string): string {
  const leg = (e.data ?? {}) as Partial<CallLeg>;
  const consult = leg.consult;
  if (consult && leg.state === 'on_hold') {
    const name = consult.agentName ?? 'another agent';
    return consult.state === 'talking' ? `Consulting ${name}: the customer is on hold` : `Calling ${name} to consult: the customer is on hold`;
  }
  const state = (leg.state ?? '').replaceAll('_', ' ');
  const holder = leg.state === 'connected' && leg.agentTurn ? ` with ${agentName}` : '';
  return `Call to the customer: ${state}${holder}${leg.cause ? ` (${leg.cause})` : ''}`;
}

import type { Ari } from '../client.ts';
import type { EndpointStates } from '../endpoints/endpoint-states.ts';

// The agent's phone is whichever of their endpoints is registered: the browser softphone first.
// (A supervisor's phone too.)
export async function registeredPhone(states: EndpointStates, ari: Ari, endpoints: string[], agentId: string): Promise<string> {
  const found = await states.firstOnline(ari, endpoints);
  if (!found) throw new Error(`the agent's phone is not registered (no softphone or desk phone online for ${agentId})`);
  return `PJSIP/${found}`;
}

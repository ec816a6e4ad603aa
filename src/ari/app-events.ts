import type { Ari } from './client.ts';

// Asterisk sends a Stasis app every event of each channel, bridge and endpoint it is subscribed to:
// a call sent the controller about 90 (ChannelVarset for every variable set, ChannelDialplan, Dial,
// ChannelConnectedLine, bridge entries...), each dumped to JSON by Asterisk, written on the WebSocket,
// parsed by ari-client, which builds resource objects with every operation attached for each. The
// app is sent only the types some part of the controller handles: each part names its own.
export async function allowOnlyEvents(ari: Ari, app: string, types: Iterable<string>): Promise<void> {
  const allowed = [...new Set(types)].sort();
  // An empty allowed list would mean "every event".
  if (allowed.length === 0) throw new Error('the Stasis app must allow at least one event type');
  await ari.applications.filter({ applicationName: app, filter: { allowed: allowed.map((type) => ({ type })) } });
}

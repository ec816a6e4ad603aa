// The call legs in Asterisk (src/ari/calls/call-legs.ts) against an in-memory ARI, driven by the real
// rules (fakes.ts makeCenter): for unit tests of what Asterisk is asked to do as calls move.
import { AriCallLegs } from '../../src/ari/calls/call-legs.ts';
import type { EndpointStates } from '../../src/ari/endpoints/endpoint-states.ts';
import { FakeAri } from './fake-ari.ts';
import { activeChat, makeCenter } from './fakes.ts';

// Queued ARI work and the events it leads to take a few turns of the event loop.
export const settled = async () => {
  for (let i = 0; i < 30; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Alice's chat with its call connected (both phones answered); `music` holds the bridges playing music on hold.
 * `beforeCustomerAnswers` runs once the agent's phone answered and the customer's rings. */
export async function connectedCall(beforeCustomerAnswers: (ari: FakeAri) => void = () => undefined) {
  const ari = new FakeAri();
  const music = new Set<string>();
  const api = ari.current() as unknown as { bridges: { startMoh(p: { bridgeId: string }): Promise<void>; stopMoh(p: { bridgeId: string }): Promise<void> } };
  api.bridges.startMoh = async ({ bridgeId }) => void music.add(bridgeId);
  api.bridges.stopMoh = async ({ bridgeId }) => void music.delete(bridgeId);
  const endpointStates = { firstOnline: async (_ari: unknown, endpoints: string[]) => endpoints[0], forget: () => undefined } as unknown as EndpointStates;
  const legs = new AriCallLegs({ ari: ari.current, app: 'cc', agentEndpoints: (id) => [id], endpointStates, customerEndpoint: (n) => `PJSIP/${n}@trunk`, onError: () => undefined });
  const h = await makeCenter({ telephony: legs });
  const onEvent = h.desk.onCallEvent.bind(h.desk);
  ari.onEvent = (event) => void legs.handle(event, onEvent);
  const { interaction } = await activeChat(h, 'alice');
  const leg = await h.desk.callCustomer('alice', interaction.id);
  ari.enter(`cc-${leg.id}-agent`);
  await settled();
  beforeCustomerAnswers(ari);
  ari.enter(`cc-${leg.id}-customer`);
  await settled();
  return { ari, music, legs, h, onEvent, leg, rec: h.interactions.get(interaction.id)! };
}

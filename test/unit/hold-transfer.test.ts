// A held call transferred to an agent whose phone does not answer stays on hold: the customer keeps
// the music and does not hear the first agent, as the desktop (still "On hold") says. The call legs in
// Asterisk (src/ari/calls/call-legs.ts) against an in-memory ARI, driven by the real rules.
import t from 'tap';
import { AriCallLegs } from '../../src/ari/calls/call-legs.ts';
import type { EndpointStates } from '../../src/ari/endpoints/endpoint-states.ts';
import { FakeAri } from '../helpers/fake-ari.ts';
import { activeChat, makeCenter } from '../helpers/fakes.ts';

const settled = async () => {
  for (let i = 0; i < 30; i++) await new Promise((resolve) => setImmediate(resolve));
};

t.test('hold, then a transfer whose new phone does not answer: the customer stays on hold', async (t) => {
  const ari = new FakeAri();
  const music = new Set<string>();
  const api = ari.current() as unknown as { bridges: { startMoh(p: { bridgeId: string }): Promise<void>; stopMoh(p: { bridgeId: string }): Promise<void> } };
  api.bridges.startMoh = async ({ bridgeId }) => void music.add(bridgeId);
  api.bridges.stopMoh = async ({ bridgeId }) => void music.delete(bridgeId);
  const endpointStates = { firstOnline: async (_ari: unknown, endpoints: string[]) => endpoints[0], forget: () => undefined } as unknown as EndpointStates;
  const legs = new AriCallLegs({ ari: ari.current, app: 'cc', agentEndpoints: (id) => [id], endpointStates, customerEndpoint: (n) => `PJSIP/${n}@trunk`, onError: () => undefined });
  const h = await makeCenter({ telephony: legs });
  ari.onEvent = (event) => void legs.handle(event, h.desk.onCallEvent.bind(h.desk));
  const { interaction } = await activeChat(h, 'alice');
  const leg = await h.desk.callCustomer('alice', interaction.id);
  ari.enter(`cc-${leg.id}-agent`);
  await settled();
  ari.enter(`cc-${leg.id}-customer`);
  await settled();
  await h.desk.toggleHold('alice', interaction.id);
  const bridge = ari.bridges.get(`cc-leg-${leg.id}`)!;
  t.equal(leg.state, 'on_hold');
  t.notOk(bridge.has(`cc-${leg.id}-agent`), "the agent's phone is out of the bridge");

  const moving = h.desk.moveCall(h.interactions.get(interaction.id)!, 'bob').then(() => null, (err: unknown) => err);
  await settled();
  ari.destroy(`cc-${leg.id}-agent-1`, 19); // Bob's phone does not answer
  t.ok(await moving, 'the transfer of the call fails');
  await settled();
  t.equal(leg.state, 'on_hold', 'the desktop still says On hold');
  t.notOk(bridge.has(`cc-${leg.id}-agent`), "so the first agent's phone stays out of the bridge");
  t.ok(music.has(`cc-leg-${leg.id}`), 'and the customer keeps the music');
});

// A call released (End chat, End session, Release) while it is being placed, before the agent's phone
// was found: nothing rings, neither the agent's phone nor the customer's. The call adapter runs against
// an in-memory ARI (test/helpers/fake-ari.ts) with the rules real.
import t from 'tap';
import { AriCallLegs } from '../../src/ari/calls/call-legs.ts';
import type { EndpointStates } from '../../src/ari/endpoints/endpoint-states.ts';
import { FakeAri } from '../helpers/fake-ari.ts';
import { activeChat, makeCenter } from '../helpers/fakes.ts';

const settled = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

// Asterisk is asked which of the agent's phones is registered: it answers when the test says.
async function callBeingPlaced() {
  const ari = new FakeAri();
  let answer: (found: string | undefined) => void = () => undefined;
  const asked = new Promise<string | undefined>((resolve) => (answer = resolve));
  const endpointStates = { firstOnline: () => asked, forget: () => undefined } as unknown as EndpointStates;
  const errors: string[] = [];
  const legs = new AriCallLegs({ ari: ari.current, app: 'cc', agentEndpoints: () => ['alice'], endpointStates, customerEndpoint: (n) => `PJSIP/${n}@trunk`, onError: (err) => void errors.push((err as Error).message) });
  const h = await makeCenter({ telephony: legs });
  ari.onEvent = (event) => void legs.handle(event, h.desk.onCallEvent.bind(h.desk));
  const { interaction } = await activeChat(h, 'alice');
  const calling = h.desk.callCustomer('alice', interaction.id);
  await settled();
  return { ari, h, id: interaction.id, calling, phoneFound: () => answer('alice'), errors };
}

t.test('Release while the agent’s phone is looked up: the call is released and nothing rings', async (t) => {
  const { ari, h, id, calling, phoneFound, errors } = await callBeingPlaced();
  const releasing = h.desk.releaseCall('alice', id);
  phoneFound();
  const leg = await releasing;
  await calling;
  await settled();
  t.equal(leg.state, 'released');
  t.same(ari.log, [], 'no phone rung, no bridge made');
  t.same(errors, []);
});

t.test('End session while the agent’s phone is looked up: the chat ends and nothing rings', async (t) => {
  const { ari, h, id, calling, phoneFound } = await callBeingPlaced();
  const ending = h.center.endSession('alice', id);
  phoneFound();
  const rec = await ending;
  const leg = await calling;
  t.equal(leg.state, 'released');
  t.equal(rec.state, 'ended');
  t.same(ari.log, [], 'no phone rung, no bridge made');
});

t.test('the customer ends the chat while the agent’s phone rings: its phone is hung up and the bridge removed', async (t) => {
  const { ari, h, id, calling, phoneFound } = await callBeingPlaced();
  phoneFound();
  await calling;
  t.ok(ari.channels.has(`cc-${(await calling).id}-agent`), "the agent's phone rings");
  await h.center.endByCustomer(id);
  await settled();
  t.equal((await calling).state, 'released');
  t.same([...ari.channels], [], "the agent's phone is hung up");
  t.same([...ari.bridges.keys()], [], 'the bridge is removed');
  ari.enter(`cc-${(await calling).id}-agent`); // an answer that crossed the hangup
  await settled();
  t.notOk(ari.log.some((line) => /^originate .*-customer/.test(line)), 'the customer is never dialled');
});

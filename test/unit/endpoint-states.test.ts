// Which agent phones are registered, as the call adapters read it (src/ari/endpoints/endpoint-states.ts):
// from ARI's endpoint events, for the endpoints the app subscribed to. An agent added while connected
// is subscribed to as well, so its phone going away is heard, not taken as still there.
import t from 'tap';
import type { Ari, AriEvent } from '../../src/ari/client.ts';
import { EndpointStates } from '../../src/ari/endpoints/endpoint-states.ts';

function fakeAri(registered: Map<string, string>) {
  const subscribed: string[] = [];
  const ari = {
    applications: { subscribe: async (p: { eventSource: string[] }) => void subscribed.push(...p.eventSource) },
    endpoints: { listByTech: async () => [...registered].map(([resource, state]) => ({ resource, state })) },
  } as unknown as Ari;
  return { ari, subscribed };
}

const stateChange = (resource: string, state: string) => ({ type: 'EndpointStateChange', endpoint: { technology: 'PJSIP', resource, state } }) as unknown as AriEvent;

t.test('an agent added after the connect is subscribed to, and its phone going away is heard', async (t) => {
  const registered = new Map([['alice', 'online']]);
  const { ari, subscribed } = fakeAri(registered);
  const states = new EndpointStates();
  await states.refresh(ari, 'cc', ['alice', 'alice-desk']);
  t.same(subscribed, ['endpoint:PJSIP/alice', 'endpoint:PJSIP/alice-desk']);

  registered.set('dave', 'online'); // Dave's softphone registers, after Dave was added
  await states.watch(ari, 'cc', ['dave', 'dave-desk']);
  t.ok(subscribed.includes('endpoint:PJSIP/dave') && subscribed.includes('endpoint:PJSIP/dave-desk'), "Dave's endpoints are subscribed to");
  t.equal(await states.firstOnline(ari, ['dave', 'dave-desk']), 'dave', 'his softphone is found');
  // His tab closes: Asterisk says so to the subscribed app.
  registered.set('dave', 'offline');
  t.ok(states.handle(stateChange('dave', 'offline')));
  t.equal(await states.firstOnline(ari, ['dave', 'dave-desk']), undefined, 'no phone of his is taken as registered');
});

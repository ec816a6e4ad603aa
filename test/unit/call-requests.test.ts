// ARI requests of call control (src/ari/call-requests.ts) against a local HTTP server: one that Asterisk
// never answers fails after the timeout, and the call's next action (Release) goes through after it
// instead of waiting behind it for good.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { sendCallRequestsDirect } from '../../src/ari/call-requests.ts';
import { AriCallLegs } from '../../src/ari/calls/call-legs.ts';
import type { Ari } from '../../src/ari/client.ts';
import type { EndpointStates } from '../../src/ari/endpoints/endpoint-states.ts';

const TIMEOUT_MS = 200;

// An ARI that answers every request but those `wedged` names, which it reads and never answers.
async function ari(t: Test, wedged: RegExp) {
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method} ${req.url}`);
    if (wedged.test(req.url ?? '')) return;
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const client = { channels: {}, bridges: {} } as unknown as Ari;
  sendCallRequestsDirect(client, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'u', 'p', TIMEOUT_MS);
  return { client, seen };
}

t.test('a request Asterisk never answers fails after the timeout, and the next one is answered', { timeout: 5000 }, async (t) => {
  const { client } = await ari(t, /wedged/);
  await t.rejects(client.channels.hangup({ channelId: 'wedged' }), { message: `ARI request timed out after ${TIMEOUT_MS} ms: DELETE /channels/wedged` });
  await t.resolves(client.channels.hangup({ channelId: 'cc-L1-agent' }));
});

t.test('a Hold Asterisk never answers fails, and Release still hangs the call up after it', { timeout: 5000 }, async (t) => {
  const { client, seen } = await ari(t, /\/moh/);
  const endpointStates = { firstOnline: async () => 'alice', forget: () => undefined } as unknown as EndpointStates;
  const errors: unknown[] = [];
  const legs = new AriCallLegs({ ari: () => client, app: 'cc', agentEndpoints: () => ['alice'], endpointStates, customerEndpoint: (n) => `PJSIP/${n}@trunk`, onError: (err) => void errors.push(err) });
  await legs.placeCall({ legId: 'L1', interactionId: 'I1', serviceId: 's', agentId: 'alice', customerNumber: '+15550001' });
  const holding = legs.hold('L1');
  const releasing = legs.release('L1');
  await t.rejects(holding, /ARI request timed out/);
  await t.resolves(releasing);
  t.ok(seen.includes('DELETE /ari/channels/cc-L1-agent'), "the agent's phone is hung up");
  t.ok(seen.includes('DELETE /ari/bridges/cc-leg-L1'), 'the bridge is removed');
  t.same(errors, []);
});

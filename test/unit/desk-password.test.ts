// A desk phone's password renewed against an Asterisk that refuses the push: the page says no new
// password, and the stored one (the phone's) stays in force; a password change's renewal goes through
// to the store all the same (Asterisk gets it at the next connect).
import t from 'tap';
import pino from 'pino';
import type { Ari } from '../../src/ari/client.ts';
import { AgentEndpoints } from '../../src/ari/endpoints/agent-endpoints.ts';
import type { SipCredentialStore } from '../../src/domain/ports.ts';

function scene() {
  const digests = new Map<string, string>([['agent1-desk', 'the phone has this one']]);
  const credentials: SipCredentialStore = {
    digest: async (endpoint) => digests.get(endpoint),
    setDigest: async (endpoint, md5) => void digests.set(endpoint, md5),
    remove: async (endpoint) => void digests.delete(endpoint),
  };
  const refusing = { asterisk: { updateObject: async () => Promise.reject(new Error('Asterisk answered 500')) } } as unknown as Ari;
  return { digests, refusing, endpoints: new AgentEndpoints(credentials, pino({ level: 'silent' })) };
}

t.test('a new desk phone password that Asterisk refuses is not stored: the phone keeps working after the next connect', async (t) => {
  const { digests, refusing, endpoints } = scene();
  await t.rejects(endpoints.renewDeskPassword(refusing, 'agent1'), /Asterisk answered 500/, 'the page says no new password');
  t.equal(digests.get('agent1-desk'), 'the phone has this one', 'the stored password is the one the phone has');
});

t.test("a password change's renewal of the desk phone is stored even when Asterisk refuses the push", async (t) => {
  const { digests, refusing, endpoints } = scene();
  await endpoints.lockDeskPassword(refusing, 'agent1');
  t.not(digests.get('agent1-desk'), 'the phone has this one', 'renewed in the store: the next connect pushes it');
  await endpoints.lockDeskPassword(null, 'agent1');
  t.ok(digests.get('agent1-desk'), 'and with ARI away');
});

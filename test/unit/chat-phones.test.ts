// Chats' phones on the simulated PSTN, against an in-memory stand-in for ARI's dynamic configuration
// (the real Asterisk is in test/e2e/phone-identities.test.ts): each chat its own phone, never the
// number's, the same one when asked again, and removed when the chat ends.
import { createHash } from 'node:crypto';
import t from 'tap';
import { AriHttpError, ChatPhones, type Ari } from '../../src/ari/index.ts';

function memoryAsterisk() {
  const objects = new Map<string, Array<{ attribute: string; value: string }>>();
  const key = (p: { objectType: string; id: string }) => `${p.objectType}/${p.id}`;
  const ari = {
    asterisk: {
      updateObject: async (p: { objectType: string; id: string; fields: { fields: Array<{ attribute: string; value: string }> } }) => void objects.set(key(p), p.fields.fields),
      getObject: async (p: { objectType: string; id: string }) => {
        const found = objects.get(key(p));
        if (!found) throw new AriHttpError(404, 'not found');
        return found;
      },
      deleteObject: async (p: { objectType: string; id: string }) => {
        if (!objects.delete(key(p))) throw new AriHttpError(404, 'not found');
      },
    },
  } as unknown as Ari;
  const stored = new Map<string, string>();
  const credentials = { digest: async (k: string) => stored.get(k), setDigest: async (k: string, v: string) => void stored.set(k, v), remove: async (k: string) => void stored.delete(k) };
  return { objects, stored, phones: new ChatPhones(() => ari, credentials) };
}

const NUMBER = '+15551230099';

t.test('two chats with the same number get two phones, neither named after the number', async (t) => {
  const { objects, phones } = memoryAsterisk();
  const [a, b] = [await phones.forChat('chat-a', NUMBER, 'browser'), await phones.forChat('chat-b', NUMBER, 'browser')];
  t.not(a.username, b.username);
  t.not(a.password, b.password);
  t.notMatch(a.username, /15551230099|^[0-9]+$/, 'not the number');
  t.match(objects.get(`endpoint/${a.username}`), [{ attribute: 'transport', value: 'transport-ws' }], 'a browser phone');
  const fields = Object.fromEntries(objects.get(`endpoint/${a.username}`)!.map((f) => [f.attribute, f.value]));
  t.match(fields, { context: 'from-simulated-customers', message_context: 'from-simulated-customers', callerid: `"${NUMBER}" <${NUMBER}>` }, 'rings only, cannot text, shows the number');
  t.equal(await phones.endpointOf('chat-a'), a.username, 'a call to chat A names its phone');
  t.equal(await phones.endpointOf('chat-c'), undefined, 'a chat that never asked has none');
});

t.test('asking again, even twice at once, gives the same phone with a new password; only its digest is kept', async (t) => {
  const { objects, stored, phones } = memoryAsterisk();
  const [one, two] = await Promise.all([phones.forChat('chat-a', NUMBER, 'sip'), phones.forChat('chat-a', NUMBER, 'sip')]);
  t.equal(one.username, two.username, 'the same phone');
  t.not(one.password, two.password, 'a new password each time');
  const three = await phones.forChat('chat-a', NUMBER, 'browser');
  t.equal(three.username, one.username);
  const auth = Object.fromEntries(objects.get(`auth/${one.username}`)!.map((f) => [f.attribute, f.value]));
  // RFC 2617's HA1, in the realm Asterisk challenges with: what the phone's answer is checked against.
  const ha1 = createHash('md5').update(`${one.username}:${auth.realm}:${three.password}`).digest('hex');
  t.equal(auth.md5_cred, ha1, "Asterisk holds the digest of the latest password, in the auth object's realm");
  t.equal(stored.get(one.username), ha1, 'and so does the store');
  t.notOk(objects.get(`auth/${one.username}`)!.some((f) => f.value === three.password), 'Asterisk never sees the password');
  t.notOk([...stored.values()].includes(three.password), 'the store never sees the password');
});

t.test("an ended chat's phone leaves Asterisk; the other chat's stays", async (t) => {
  const { objects, phones } = memoryAsterisk();
  const [a, b] = [await phones.forChat('chat-a', NUMBER, 'sip'), await phones.forChat('chat-b', NUMBER, 'sip')];
  await phones.chatEnded('chat-a');
  await phones.chatEnded('chat-a'); // again (every change of an ended chat tells): harmless
  t.same(['endpoint', 'aor', 'auth'].filter((type) => objects.has(`${type}/${a.username}`)), [], 'endpoint, aor and auth removed');
  t.ok(objects.has(`endpoint/${b.username}`), 'the other chat keeps its phone');
  t.equal(await phones.endpointOf('chat-a'), undefined, "the ended chat's phone is forgotten: no call names it");
  t.equal(await phones.endpointOf('chat-b'), b.username);
  await phones.chatEnded('chat-never-asked');
  t.pass('a chat without a phone ends without error');
});

t.test('a number that is not E.164 gets no phone', async (t) => {
  const { phones } = memoryAsterisk();
  await t.rejects(phones.forChat('chat-a', 'abc', 'sip'), /not an E\.164 number/);
});

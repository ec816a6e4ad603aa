// Voice is built before the domain and connected after it: until then it touches no Asterisk, and
// what needs Asterisk fails saying why. ARI refusals are told by their HTTP status.
import { pino } from 'pino';
import t from 'tap';
import { AriHttpError, createVoice, isNotFound, type VoiceConfig } from '../../src/ari/index.ts';

const CONFIG: VoiceConfig = {
  telephony: 'external',
  dataDir: '/nonexistent',
  ariUrl: 'http://127.0.0.1:9',
  ariUser: 'u',
  ariPassword: 'p',
  ariApp: 'contact-center',
  asteriskHttpPort: 0,
  asteriskSipPort: 0,
  customerDial: 'PJSIP/{number}@trunk',
  simulatedPstn: false,
};
const deps = { agents: async () => [], credentials: { digest: async () => undefined, setDigest: async () => undefined, remove: async () => undefined } };
const quiet = pino({ level: 'silent' });

t.test('built, not connected: calls fail saying Asterisk is not reachable, health says connecting', async (t) => {
  const voice = createVoice(CONFIG, quiet, deps);
  t.same(voice.health(), { state: 'connecting' });
  t.equal(voice.sipWsUrl(), null);
  await t.rejects(
    voice.telephony!.placeCall({ legId: 'l1', interactionId: 'i1', serviceId: 's', agentId: 'agent1', customerNumber: '+15551230001' }),
    /Asterisk is not reachable \(ARI not connected yet\)/,
  );
  t.throws(() => voice.app!.current(), /not reachable/);
  t.equal(voice.simulatedPhones, null, 'the simulated PSTN is the local Asterisk’s only');
  await voice.stop();
  t.same(voice.health(), { state: 'stopped' });
  t.throws(() => voice.app!.listen({ events: ['TextMessageReceived'], connected: async () => undefined, handle: () => false, stopping: async () => undefined }), /before voice connects/);
});

t.test('TELEPHONY=off: no port for the domain, health says why', async (t) => {
  const voice = createVoice({ ...CONFIG, telephony: 'off' }, quiet, deps);
  t.equal(voice.telephony, null);
  t.equal(voice.app, null);
  t.same(voice.health(), { state: 'not_configured', detail: 'TELEPHONY=off' });
  await t.resolves(voice.connect({ onCallEvent: async () => undefined, liveLegs: () => [] }));
});

t.test('not found is a 404 answer, whatever its words', async (t) => {
  t.ok(isNotFound(new AriHttpError(404, '{"message":"Channel not found"}')));
  t.notOk(isNotFound(new AriHttpError(422, '{"message":"Endpoint not found"}')), 'another status');
  t.notOk(isNotFound(new Error('{"message":"Channel not found"}')), 'no status: not told by the words');
  t.notOk(isNotFound(undefined));
});

t.test("an ARI refusal reads as Asterisk's words, not as the JSON around them (agents see it in a call's failure)", async (t) => {
  t.equal(new AriHttpError(409, '{"message":"Channel not in Stasis application"}').message, 'Channel not in Stasis application');
  t.equal(new AriHttpError(500, 'Internal Server Error').message, 'Internal Server Error', 'a body that is not JSON as it is');
  t.equal(new AriHttpError(400, '{"error":"x"}').message, '{"error":"x"}', 'JSON without words as it is');
});

// SMS by SIP MESSAGE, without Asterisk: numbers and ids of received MESSAGEs, the SIP sender, and the SMS
// trunk's handling of ARI (subscription, TextMessageReceived, sendMessage) against a fake ARI.
import { pino } from 'pino';
import t from 'tap';
import type { Ari, AriEvent } from '../../src/ari/index.ts';
import { SmsTrunk, trunkTextOf, type TrunkText } from '../../src/sms/sip-trunk.ts';
import { loadConfig } from '../../src/config.ts';
import { inboundSipText, numberOfSipUri, SipMessageGateway } from '../../src/sms/sip-message.ts';
import { AriHttpError } from '../../src/ari/errors.ts';

// What Asterisk 22 sends for a MESSAGE the SMS trunk received (trimmed).
const EVENT: AriEvent = {
  type: 'TextMessageReceived',
  timestamp: '2026-11-25T10:55:53.740+0000',
  endpoint: { technology: 'PJSIP', resource: 'sms-trunk', state: 'online', channel_ids: [] },
  message: {
    from: '<sip:+15551230001@pstn.invalid>',
    to: 'pjsip:+15550009000@127.0.0.1',
    body: 'Hello from the phone',
    variables: {
      PJSIP_RECVADDR: '127.0.0.1:56567',
      'Call-ID': '3977f0dc-e9be-4cec-a929-486eefbbed50',
      CSeq: '56458 MESSAGE',
      'Content-Type': 'text/plain',
    },
  },
  application: 'contact-center',
};

t.test('numbers of SIP and tel URIs, as Asterisk prints From and To', async (t) => {
  const cases: Array<[string, string | null]> = [
    ['<sip:+15551230001@pstn.invalid>', '+15551230001'],
    ['"Carla" <sip:+15551230001@carrier.example;transport=udp>;tag=abc', '+15551230001'],
    ['pjsip:+15550009000@127.0.0.1', '+15550009000'],
    ['pjsip:+15550009000@127.0.0.1:5060', '+15550009000'],
    ['sips:+447700900123@carrier.example', '+447700900123'],
    ['<sip:15551230001@carrier.example;user=phone>', '+15551230001'],
    ['sip:+15551230001;npdi@carrier.example', '+15551230001'],
    ['<sip:%2B15551230001@carrier.example>', '+15551230001'],
    ['<tel:+1-555-123-0001>', '+15551230001'],
    ['pjsip:tel:+15551230001', '+15551230001'],
    ['<sip:alice@example.com>', null],
    ['<sip:+0123456@carrier.example>', null],
    ['<sip:+1234567890123456@carrier.example>', null],
    ['<sip:123@carrier.example>', null],
    ['<mailto:+15551230001@example.com>', null],
    ['<sip:%E0%A4%A@x>', null],
    // A local number and its context (RFC 3966): completed, not taken for an international one.
    ['<tel:5551234;phone-context=+1212>', '+12125551234'],
    ['<sip:5551234;phone-context=+1-212@carrier.example;user=phone>', '+12125551234'],
    ['<tel:5551234;phone-context=example.com>', null],
    // A display name holding an address is not the sender.
    ['"<sip:+15550001111@x>" <sip:+15551230001@carrier.example>', '+15551230001'],
    ['"Bob \\"<sip:+15550001111@x>\\"" <sip:+15551230001@carrier.example>', '+15551230001'],
    ['', null],
  ];
  for (const [uri, number] of cases) t.equal(numberOfSipUri(uri), number, uri || '(empty)');
});

t.test("a carrier's national numbers are read as its country's (SMS_SIP_COUNTRY); without it they are refused, never guessed", async (t) => {
  const cases: Array<[string, 'FR' | 'US' | 'DE' | 'GB' | 'IT', string]> = [
    ['<sip:0612345678@carrier.example>', 'FR', '+33612345678'],
    ['<sip:06%2012%2034%2056%2078@carrier.example>', 'FR', '+33612345678'],
    ['<tel:06-12-34-56-78>', 'FR', '+33612345678'],
    ['<sip:0033612345678@carrier.example>', 'FR', '+33612345678'],
    ['<sip:33612345678@carrier.example>', 'FR', '+33612345678'],
    ['<sip:+447911123456@carrier.example>', 'FR', '+447911123456'],
    ['<sip:447911123456@carrier.example>', 'FR', '+447911123456'],
    ['<sip:4155550123@carrier.example;user=phone>', 'US', '+14155550123'],
    ['<sip:14155550123@carrier.example;user=phone>', 'US', '+14155550123'],
    ['<sip:015112345678@carrier.example>', 'DE', '+4915112345678'],
    ['<sip:4915112345678@carrier.example>', 'DE', '+4915112345678'],
    ['<sip:07911123456@carrier.example>', 'GB', '+447911123456'],
    ['<sip:07700900123@carrier.example>', 'GB', '+447700900123'], // a range kept for drama: possible, not valid
    ['<sip:061234567@carrier.example>', 'IT', '+39061234567'], // Italy keeps its 0: no trunk prefix
    ['<sip:15550009000@carrier.example>', 'US', '+15550009000'], // our own number, written with its 1
    // Numbers of the tests' development PSTN, which no numbering plan knows: international, as before.
    ['<sip:15551230001@carrier.example>', 'US', '+15551230001'],
  ];
  for (const [uri, country, number] of cases) t.equal(numberOfSipUri(uri, country), number, `${uri} in ${country}`);
  // Without a country, a national number is not taken for an international one.
  t.equal(numberOfSipUri('<sip:0612345678@carrier.example>'), null, 'a trunk prefix: refused');
  const text = { ...trunkTextOf(EVENT, 'sms-trunk')!, from: '<sip:0612345678@carrier.example>' };
  t.throws(() => inboundSipText(text), { code: 'invalid_number', message: /SMS_SIP_COUNTRY/ }, 'the refusal (logged) names the setting');
  t.match(inboundSipText(text, 'FR'), { from: '+33612345678', to: '+15550009000' }, 'with the setting, the text is taken');

  t.equal(loadConfig({}).smsSipCountry, undefined);
  t.equal(loadConfig({ SMS_SIP_COUNTRY: 'fr' }).smsSipCountry, 'FR');
  t.throws(() => loadConfig({ SMS_SIP_COUNTRY: 'France' }), /SMS_SIP_COUNTRY: expected a country's two-letter ISO 3166 code/, 'a wrong setting stops the start');
});

t.test('a received MESSAGE becomes an SMS for the desk, with an id stable for the same request', async (t) => {
  const text = trunkTextOf(EVENT, 'sms-trunk')!;
  const sms = inboundSipText(text);
  t.match(sms, { from: '+15551230001', to: '+15550009000', text: 'Hello from the phone', gateway: 'sip' });
  t.match(sms.id, /^sip-[0-9a-f]{40}$/, 'a short, clean id');
  t.notOk('concat' in sms, 'one MESSAGE is one whole text');
  t.equal(inboundSipText({ ...text }).id, sms.id, 'the same Call-ID and CSeq: the same id (a duplicate for the desk)');
  t.not(inboundSipText({ ...text, cseq: '56459 MESSAGE' }).id, sms.id, 'another request of the same call: another text');
  t.not(inboundSipText({ ...text, from: '<sip:+15551230002@pstn.invalid>' }).id, sms.id, 'another sender: another text');
  const noIds = { ...text, callId: null, cseq: null };
  t.not(inboundSipText(noIds).id, inboundSipText(noIds).id, 'without Call-ID every text is new');

  for (const [field, value] of [
    ['from', '<sip:alice@example.com>'],
    ['to', 'pjsip:sms@127.0.0.1'],
  ] as const) {
    t.throws(() => inboundSipText({ ...text, [field]: value }), { name: 'DomainError', kind: 'invalid', code: 'invalid_number' }, `${field} not a number: refused`);
  }
});

t.test('TextMessageReceived: only the trunk’s texts, with Call-ID and CSeq found whatever their case', async (t) => {
  t.same(trunkTextOf(EVENT, 'sms-trunk'), {
    from: '<sip:+15551230001@pstn.invalid>',
    to: 'pjsip:+15550009000@127.0.0.1',
    body: 'Hello from the phone',
    callId: '3977f0dc-e9be-4cec-a929-486eefbbed50',
    cseq: '56458 MESSAGE',
    receivedAt: '2026-11-25T10:55:53.740+0000',
  });
  t.equal(trunkTextOf(EVENT, 'other-trunk'), null, 'another endpoint');
  t.equal(trunkTextOf({ ...EVENT, type: 'StasisStart' }, 'sms-trunk'), null, 'another event');
  t.equal(trunkTextOf({ ...EVENT, endpoint: undefined }, 'sms-trunk'), null, 'no endpoint');
  const lower = trunkTextOf({ ...EVENT, message: { ...EVENT.message!, body: undefined, variables: { 'call-id': 'x', cseq: '1 MESSAGE' } } }, 'sms-trunk');
  t.match(lower, { body: '', callId: 'x', cseq: '1 MESSAGE' });
  t.match(trunkTextOf({ ...EVENT, message: { ...EVENT.message!, variables: undefined } }, 'sms-trunk'), { callId: null, cseq: null });
});

// A fake ARI with the operations the trunk uses; like Asterisk, it keeps subscriptions across connections.
function fakeAri(opts: { subscribeFails?: boolean; sendFails?: boolean; subscribed?: string[] } = {}) {
  const calls: Array<{ op: string; p: unknown }> = [];
  const subscribed = opts.subscribed ?? [];
  const ari = {
    applications: {
      async get(p: unknown) {
        calls.push({ op: 'get', p });
        return { name: 'contact-center', endpoint_ids: [...subscribed] };
      },
      async subscribe(p: { eventSource: string }) {
        calls.push({ op: 'subscribe', p });
        if (opts.subscribeFails) throw new Error('{"message":"Provided endpoint:PJSIP/sms-trunk not found"}');
        subscribed.push(p.eventSource.replace('endpoint:', ''));
        return {};
      },
      async unsubscribe(p: { eventSource: string }) {
        calls.push({ op: 'unsubscribe', p });
        subscribed.splice(subscribed.indexOf(p.eventSource.replace('endpoint:', '')), 1);
        return {};
      },
    },
    endpoints: {
      async sendMessage(p: unknown) {
        calls.push({ op: 'sendMessage', p });
        if (opts.sendFails) throw new AriHttpError(404, '{"message":"Endpoint not found"}');
      },
    },
  } as unknown as Ari;
  return { ari, calls };
}

const quiet = pino({ level: 'silent' });

t.test('the SMS trunk subscribes the application to its endpoint, and says when it cannot', async (t) => {
  const trunk = new SmsTrunk({ endpoint: 'sms-trunk', app: 'contact-center', logger: quiet });
  t.same(trunk.health({ state: 'connecting' }), { state: 'connecting', detail: 'ARI connecting' });
  const ok = fakeAri();
  await trunk.subscribe(ok.ari);
  t.same(ok.calls, [
    { op: 'get', p: { applicationName: 'contact-center' } },
    { op: 'subscribe', p: { applicationName: 'contact-center', eventSource: 'endpoint:PJSIP/sms-trunk' } },
  ]);
  t.same(trunk.health({ state: 'up' }), { state: 'up' });
  t.match(trunk.health({ state: 'down', detail: 'lost' }), { state: 'down' }, 'ARI down: the trunk is down');
  ok.calls.length = 0;
  await trunk.subscribe(ok.ari);
  t.same(
    ok.calls.map((c) => c.op),
    ['get'],
    'a reconnect to an Asterisk that kept the subscription does not subscribe twice',
  );
  await trunk.unsubscribe(ok.ari);
  t.same(ok.calls.at(-1), { op: 'unsubscribe', p: { applicationName: 'contact-center', eventSource: 'endpoint:PJSIP/sms-trunk' } }, 'a planned stop unsubscribes');
  t.match(trunk.health({ state: 'up' }), { state: 'down', detail: 'stopped' });
  await trunk.subscribe(ok.ari);
  t.equal(ok.calls.at(-1)?.op, 'subscribe', 'and the next connect subscribes again');
  const hanging = { applications: { unsubscribe: () => new Promise(() => undefined) } } as unknown as Ari;
  const alive = setTimeout(() => undefined, 5000); // the trunk's own timer does not keep the process alive
  await t.resolves(trunk.unsubscribe(hanging, 50), 'an unsubscribe without answer does not hold up the stop');
  clearTimeout(alive);

  const failing = fakeAri({ subscribeFails: true });
  await t.resolves(trunk.subscribe(failing.ari), 'a failed subscription does not fail the (re)connect');
  t.match(trunk.health({ state: 'up' }), { state: 'down', detail: /cannot subscribe to endpoint:PJSIP\/sms-trunk: .*not found/ });
  await trunk.subscribe(ok.ari);
  t.same(trunk.health({ state: 'up' }), { state: 'up' }, 'the next (re)connect subscribes again');
  t.throws(() => new SmsTrunk({ endpoint: 'sms trunk/../x', app: 'a', logger: quiet }), /not a PJSIP endpoint name/);
});

t.test('the SMS trunk takes every TextMessageReceived and passes on its own, in order', async (t) => {
  const got: TrunkText[] = [];
  const trunk = new SmsTrunk({ endpoint: 'sms-trunk', app: 'contact-center', logger: quiet });
  const onText = (text: TrunkText) => void got.push(text);
  t.equal(trunk.handle(EVENT, onText), true);
  t.equal(trunk.handle({ ...EVENT, message: { ...EVENT.message!, body: 'second' } }, onText), true);
  t.equal(trunk.handle({ ...EVENT, endpoint: { ...EVENT.endpoint!, resource: '15551230001' } }, onText), true, "another endpoint's text is taken, not passed on");
  t.equal(trunk.handle({ type: 'StasisStart' }, onText), false, 'other events are left to the call legs');
  t.same(
    got.map((g) => g.body),
    ['Hello from the phone', 'second'],
  );
});

t.test('replies leave through ARI sendMessage to pjsip:PJSIP/<number>@<trunk>, the text in the request body', async (t) => {
  const trunk = new SmsTrunk({ endpoint: 'sms-trunk', app: 'contact-center', logger: quiet });
  const { ari, calls } = fakeAri();
  const gateway = new SipMessageGateway((text) => trunk.send(ari, text));
  const answer = await gateway.send({ id: 'm1', from: '+15550009000', to: '+15551230001', text: 'On our way 🚗', segments: 1 });
  t.same(answer, { status: 'accepted' }, 'Asterisk took it: accepted');
  t.same(calls, [
    {
      op: 'sendMessage',
      p: { to: 'pjsip:PJSIP/+15551230001@sms-trunk', from: '+15550009000', variables: { variables: { 'X-SMS-Id': 'm1' }, body: 'On our way 🚗' } },
    },
  ]);

  const failing = fakeAri({ sendFails: true });
  const broken = new SipMessageGateway((text) => trunk.send(failing.ari, text));
  const refused = await broken.send({ id: 'm2', from: '+15550009000', to: '+15551230001', text: 'x', segments: 1 }).catch((err: unknown) => err);
  t.match(refused, { name: 'SmsSendRefused', message: /SIP MESSAGE not sent: .*Endpoint not found/ }, 'an ARI 4xx is a refusal: not sent again');
  const noAri = new SipMessageGateway(async () => {
    throw new Error('Asterisk is not reachable (ARI down)');
  });
  const away = await noAri.send({ id: 'm3', from: '+15550009000', to: '+15551230001', text: 'x', segments: 1 }).catch((err: unknown) => err);
  t.match(away, { name: 'Error', message: /SIP MESSAGE not sent: Asterisk is not reachable/ }, 'Asterisk away: may pass, sent again later');
});

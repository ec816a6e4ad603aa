// The public mobile API (/api/v1) against the real server: chats, tokens, messages, photos, context,
// ending, and the OpenAPI document. One server for the whole file; no agent is ever Ready on it, so
// chats stay queued unless a test ends them. The customer's events socket is in
// mobile-api-events.test.ts, photos sent again in mobile-api-photos.test.ts, /healthz and /metrics in
// operations.test.ts.
import t from 'tap';
import { ApiClient, uniqueName, type ChatHandle, type ChatJson, type MessageJson } from '../helpers/api-client.ts';
import { expectError } from '../helpers/api-errors.ts';
import { withServer } from '../helpers/fixtures.ts';
import { JPEG, PNG } from '../helpers/images.ts';
import { metric, metricsText } from '../helpers/metrics.ts';
import { fetchOpenApi, KNOWN_UNDOCUMENTED, undocumented } from '../helpers/openapi-check.ts';

const server = await withServer(t);
const api = new ApiClient(server.url);

const totalChats = async () => metric(await metricsText(server.url), 'cc_interactions');

// ---- starting a chat ----------------------------------------------------------------------------

t.test('POST /chats answers 201 {id, token} and the chat can be read back with the token', async (t) => {
  const name = uniqueName('Ada');
  const res = await api.request('POST', '/api/v1/chats', {
    json: { service: 'roadside', name, phone: '+33612345678', context: { fields: { plate: 'AB-123-CD' }, location: { lat: 48.8566, lon: 2.3522, accuracy_m: 12 } } },
  });
  t.equal(res.status, 201);
  const body = (await res.json()) as Record<string, unknown>;
  t.same(Object.keys(body).sort(), ['id', 'token']);
  t.type(body.id, 'string');
  t.type(body.token, 'string');
  t.ok(String(body.token).length >= 20, 'the token is long enough not to be guessed');

  const chat = await api.chat(body as unknown as ChatHandle);
  t.equal(chat.id, body.id);
  t.equal(chat.service, 'roadside');
  t.equal(chat.state, 'queued', 'nobody is Ready: the chat waits');
  t.same(chat.customer, { name, phone: '+33612345678' });
  t.equal(chat.agent, null);
  t.same(chat.context, { fields: { plate: 'AB-123-CD' }, location: { lat: 48.8566, lon: 2.3522, accuracy_m: 12 } });

  const second = await api.createChat();
  t.not(second.id, body.id, 'each chat gets its own id');
  t.not(second.token, body.token, 'and its own token');
});

t.test('POST /chats refuses bad requests with {"error":{code,message}} and creates no chat', async (t) => {
  const before = await totalChats();
  const valid = { service: 'roadside', name: 'Bea', phone: '+15551234567' };

  await expectError(t, await api.request('POST', '/api/v1/chats', { json: { ...valid, service: 'no-such-service' } }), 404, 'unknown service');
  await expectError(
    t,
    await api.request('POST', '/api/v1/chats', { body: '{"service": "roadside", "name": ', headers: { 'content-type': 'application/json' } }),
    400,
    'malformed JSON',
  );
  const invalid: Array<[string, unknown]> = [
    ['phone without +', { ...valid, phone: '15551234567' }],
    ['phone with letters', { ...valid, phone: '+1555CALLME' }],
    ['phone starting with +0', { ...valid, phone: '+0551234567' }],
    ['phone too short', { ...valid, phone: '+12345' }],
    ['phone with spaces', { ...valid, phone: '+1 555 123 4567' }],
    ['empty name', { ...valid, name: '' }],
    ['blank name', { ...valid, name: '   ' }],
    ['name of 101 characters', { ...valid, name: 'n'.repeat(101) }],
    ['missing name', { service: 'roadside', phone: '+15551234567' }],
    ['missing phone', { service: 'roadside', name: 'Bea' }],
    ['missing service', { name: 'Bea', phone: '+15551234567' }],
    ['unknown extra field', { ...valid, vip: true }],
    ['name not a string', { ...valid, name: 42 }],
    ['context with a bad latitude', { ...valid, context: { location: { lat: 200, lon: 2 } } }],
    ['context with an unknown key', { ...valid, context: { mood: 'angry' } }],
    ['a JSON array', [valid]],
  ];
  for (const [what, body] of invalid) {
    await expectError(t, await api.request('POST', '/api/v1/chats', { json: body }), 400, what);
  }

  t.equal(await totalChats(), before, 'cc_interactions counts no new chat in any state');
  // The metric counts rows; make sure it would have seen one.
  await api.createChat();
  t.equal(await totalChats(), before + 1, 'a valid request does count');
});

// ---- the token ----------------------------------------------------------------------------------

t.test("a chat's token opens that chat only", async (t) => {
  const a = await api.createChat();
  const b = await api.createChat();
  const uploaded = await api.upload(a, { bytes: PNG, type: 'image/png', name: 'a.png' });
  t.equal(uploaded.status, 201, 'chat A has a photo');
  const photo = (await uploaded.json()) as MessageJson;
  const before = { chat: await api.chat(a), messages: await api.messages(a) };

  const wrong = 'x'.repeat(43);
  const cases: Array<[string, string | undefined, number]> = [
    ['no token', undefined, 401],
    ['a made-up token', wrong, 403],
    ["chat B's token", b.token, 403],
  ];
  for (const [who, token, status] of cases) {
    const req = (method: string, path: string, json?: unknown) => api.request(method, `/api/v1/chats/${a.id}${path}`, { token, json });
    await expectError(t, await req('GET', ''), status, `${who}: GET /chats/{id}`);
    await expectError(t, await req('GET', '/messages'), status, `${who}: GET messages`);
    await expectError(t, await req('POST', '/messages', { text: 'not mine' }), status, `${who}: POST messages`);
    await expectError(t, await api.upload(a, { bytes: PNG, type: 'image/png', name: 'b.png' }, { token }), status, `${who}: POST attachments`);
    await expectError(t, await req('GET', `/attachments/${photo.attachment?.id}`), status, `${who}: GET the photo`);
    await expectError(t, await req('POST', '/context', { fields: { hijacked: 'yes' } }), status, `${who}: POST context`);
    await expectError(t, await req('POST', '/end'), status, `${who}: POST end`);
    t.equal(await api.eventsHandshakeStatus(a.id, token), status, `${who}: the events socket handshake is refused with ${status}`);
  }
  // A header that is not "Bearer <token>" counts as no token.
  await expectError(t, await api.request('GET', `/api/v1/chats/${a.id}`, { headers: { authorization: `Basic ${a.token}` } }), 401, 'Basic instead of Bearer');
  // Chat B's own token still works on B, and A's on A: nothing was ended, nothing was added.
  t.equal((await api.chat(b)).state, 'queued');
  t.same(await api.chat(a), before.chat, 'chat A is unchanged (not ended, no context added)');
  t.same(await api.messages(a), before.messages, 'chat A has no new message or photo');
  t.same(await api.messages(b), [], 'chat B has nothing either');

  await expectError(t, await api.request('GET', '/api/v1/chats/00000000-0000-0000-0000-000000000000', { token: a.token }), 404, 'an unknown chat id');
});

// ---- messages -----------------------------------------------------------------------------------

t.test('POST messages answers 201 with the stored message, and GET lists it', async (t) => {
  const chat = await api.createChat();
  const res = await api.send(chat, 'My car broke down');
  t.equal(res.status, 201);
  const msg = (await res.json()) as MessageJson;
  t.match(msg, { author: 'customer', text: 'My car broke down', client_id: null, attachment: null });
  t.type(msg.id, 'string');
  t.type(msg.seq, 'number');
  t.ok(!Number.isNaN(Date.parse(msg.created_at)), 'created_at is a date');
  t.same(await api.messages(chat), [msg], 'GET returns the same message');
});

t.test('a repeated client_id returns the first message and stores it once', async (t) => {
  const chat = await api.createChat();
  const first = await api.say(chat, 'Is anybody there?', 'c-1');
  t.equal(first.client_id, 'c-1');
  const again = await api.send(chat, 'Is anybody there?', 'c-1');
  t.equal(again.status, 201, 'the retry is answered like the first send');
  t.same(await again.json(), first, 'with the first message itself');
  const changed = await api.send(chat, 'a different text, same client_id', 'c-1');
  t.equal(((await changed.json()) as MessageJson).id, first.id, 'a retry never becomes a second message, whatever its text');
  const other = await api.say(chat, 'Is anybody there?', 'c-2');
  t.not(other.id, first.id, 'another client_id is another message');
  const elsewhere = await api.createChat();
  const sameIdOtherChat = await api.say(elsewhere, 'Hello from another phone', 'c-1');
  t.not(sameIdOtherChat.id, first.id, 'the same client_id in another chat is that chat\'s own message');
  t.same((await api.messages(elsewhere)).map((m) => m.text), ['Hello from another phone']);

  const listed = await api.messages(chat);
  t.same(
    listed.map((m) => [m.client_id, m.text]),
    [
      ['c-1', 'Is anybody there?'],
      ['c-2', 'Is anybody there?'],
    ],
  );
});

t.test('concurrent posts with the same client_id store one message', async (t) => {
  const chat = await api.createChat();
  const answers = await Promise.all(Array.from({ length: 12 }, () => api.send(chat, 'sent twelve times at once', 'burst-1')));
  t.same(
    answers.map((r) => r.status),
    Array(12).fill(201),
  );
  const bodies = (await Promise.all(answers.map((r) => r.json()))) as MessageJson[];
  t.equal(new Set(bodies.map((b) => b.id)).size, 1, 'every answer carries the same message id');
  const listed = await api.messages(chat);
  t.equal(listed.length, 1, 'GET lists it once');
  t.equal(listed[0]?.id, bodies[0]?.id);

  // Several client_ids at once: one message each, no loss.
  const ids = Array.from({ length: 8 }, (_, i) => `multi-${i}`);
  await Promise.all([...ids, ...ids].map((id) => api.say(chat, `text of ${id}`, id)));
  const after = await api.messages(chat);
  t.same(after.map((m) => m.client_id).sort(), ['burst-1', ...ids].sort(), 'one message per client_id');
});

t.test('a 4,000-character message is stored and returned whole; 8,000 is the limit', async (t) => {
  const chat = await api.createChat();
  const line = 'Stranded on the A6 near exit 12, hazard lights on; émoi <&> "quotes".\n';
  const long = line.repeat(Math.ceil(4000 / line.length)).slice(0, 3999) + '!';
  t.equal(long.length, 4000);
  const posted = await api.say(chat, long);
  t.equal(posted.text, long, 'the answer carries the whole text');
  const atLimit = await api.say(chat, 'z'.repeat(8000));
  t.equal(atLimit.text?.length, 8000, 'exactly 8,000 characters is accepted');
  const listed = await api.messages(chat);
  t.equal(listed[0]?.text, long, 'GET returns it whole, byte for byte');
  t.equal(listed[1]?.text?.length, 8000);
});

t.test('a text over 8,000 characters is 400 text_too_long and stores nothing', async (t) => {
  const chat = await api.createChat();
  await expectError(t, await api.send(chat, 'y'.repeat(8001)), 400, '8,001 characters', 'text_too_long');
  await expectError(t, await api.send(chat, 'y'.repeat(20_000), 'long-1'), 400, '20,000 characters with a client_id', 'text_too_long');
  t.same(await api.messages(chat), [], 'nothing stored');
  // The refused client_id was not burnt: a valid send with it is stored.
  const ok = await api.say(chat, 'shorter now', 'long-1');
  t.equal(ok.text, 'shorter now');
});

t.test('a text with U+0000 is 400 nul_character and stores nothing (PostgreSQL cannot hold it: every store answers the same)', async (t) => {
  const chat = await api.createChat();
  await expectError(t, await api.send(chat, 'a\u0000b'), 400, 'NUL in the text', 'nul_character');
  await expectError(t, await api.send(chat, 'a\u0000b', 'nul-1'), 400, 'with a client_id', 'nul_character');
  t.same(await api.messages(chat), [], 'nothing stored');
  t.equal((await api.say(chat, 'ab', 'nul-1')).text, 'ab', 'the client_id was not burnt');
  // Nor in any other field, nor in the address of the chat's socket: no store is asked for such an id.
  const start = await api.request('POST', '/api/v1/chats', { json: { service: 'road\u0000side', name: 'N', phone: '+15551234567' } });
  await expectError(t, start, 400, 'NUL in the service of a new chat', 'nul_character');
  t.equal(await api.eventsHandshakeStatus('%00', chat.token), 400, "NUL in the socket's chat id: 400");
});

t.test('an empty or missing text is 400 and stores nothing', async (t) => {
  const chat = await api.createChat();
  await expectError(t, await api.send(chat, ''), 400, 'empty text');
  await expectError(t, await api.send(chat, ' \n\t '), 400, 'blank text');
  await expectError(t, await api.request('POST', `/api/v1/chats/${chat.id}/messages`, { token: chat.token, json: { client_id: 'x' } }), 400, 'no text');
  await expectError(t, await api.request('POST', `/api/v1/chats/${chat.id}/messages`, { token: chat.token, json: { text: 5 } }), 400, 'text not a string');
  await expectError(t, await api.request('POST', `/api/v1/chats/${chat.id}/messages`, { token: chat.token, json: { text: 'hi', extra: 1 } }), 400, 'unknown field');
  await expectError(
    t,
    await api.request('POST', `/api/v1/chats/${chat.id}/messages`, { token: chat.token, body: '{"text": "hi"', headers: { 'content-type': 'application/json' } }),
    400,
    'malformed JSON',
  );
  t.same(await api.messages(chat), [], 'nothing stored');
});

t.test('GET messages?after=n returns only the later messages', async (t) => {
  const chat = await api.createChat();
  const sent: MessageJson[] = [];
  for (const text of ['one', 'two', 'three', 'four']) sent.push(await api.say(chat, text));
  const seqs = sent.map((m) => m.seq);
  t.same(seqs, [...seqs].sort((x, y) => x - y), 'seq grows with each message');
  t.same((await api.messages(chat, 0)).map((m) => m.text), ['one', 'two', 'three', 'four'], 'after=0 is everything');
  t.same((await api.messages(chat, sent[1]!.seq)).map((m) => m.text), ['three', 'four']);
  t.same((await api.messages(chat, sent[3]!.seq)).map((m) => m.text), [], 'after the last one: nothing');
  for (const bad of ['-1', 'abc', '1.5']) {
    await expectError(t, await api.request('GET', `/api/v1/chats/${chat.id}/messages?after=${bad}`, { token: chat.token }), 400, `after=${bad}`);
  }
});

// ---- photos -------------------------------------------------------------------------------------

t.test('a PNG is stored (201) and served back as image/png with nosniff', async (t) => {
  const chat = await api.createChat();
  const res = await api.upload(chat, { bytes: PNG, type: 'image/png', name: 'dent.png' });
  t.equal(res.status, 201);
  const msg = (await res.json()) as MessageJson;
  t.match(msg, { author: 'customer', text: null, attachment: { content_type: 'image/png', size: PNG.length, file_name: 'dent.png' } });
  t.same(await api.messages(chat), [msg], 'the photo is in the chat');

  const url = msg.attachment!.url;
  const photo = await api.request('GET', url, { token: chat.token });
  t.equal(photo.status, 200);
  t.equal(photo.headers.get('content-type'), 'image/png');
  t.equal(photo.headers.get('x-content-type-options'), 'nosniff');
  t.same(Buffer.from(await photo.arrayBuffer()), PNG, 'the same bytes come back');

  await expectError(t, await api.request('GET', url), 401, 'the photo without the token');
  await expectError(t, await api.request('GET', `/api/v1/chats/${chat.id}/attachments/00000000-0000-0000-0000-000000000000`, { token: chat.token }), 404, 'an unknown photo');

  // A JPEG declared as JPEG is fine too (so the mismatch test below is about the mismatch).
  const jpeg = await api.upload(chat, { bytes: JPEG, type: 'image/jpeg', name: 'plate.jpg' });
  t.equal(jpeg.status, 201);
  t.equal(((await jpeg.json()) as MessageJson).attachment?.content_type, 'image/jpeg');
});

t.test('uploads that are not the image they claim, too large, or missing are refused and store nothing', async (t) => {
  const chat = await api.createChat();
  const html = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');
  await expectError(t, await api.upload(chat, { bytes: html, type: 'image/png', name: 'x.png' }), 415, 'HTML named x.png, declared image/png');
  await expectError(t, await api.upload(chat, { bytes: html, type: 'text/html', name: 'x.html' }), 415, 'HTML declared as HTML');
  await expectError(t, await api.upload(chat, { bytes: JPEG, type: 'image/png', name: 'photo.png' }), 415, 'a JPEG declared as image/png');
  const huge = Buffer.alloc(10 * 1024 * 1024 + 1);
  PNG.copy(huge);
  await expectError(t, await api.upload(chat, { bytes: huge, type: 'image/png', name: 'huge.png' }), 413, 'a PNG of 10 MB + 1 byte');
  await expectError(t, await api.upload(chat, null), 400, 'a form without the file field');
  await expectError(t, await api.request('POST', `/api/v1/chats/${chat.id}/attachments`, { token: chat.token, json: { file: PNG.toString('base64') } }), 400, 'JSON instead of multipart');
  t.same(await api.messages(chat), [], 'GET messages is unchanged: nothing was stored');
});

// ---- context --------------------------------------------------------------------------------------

t.test('POST context merges fields by key and replaces the location', async (t) => {
  const chat = await api.createChat({ context: { fields: { plate: 'AB-123-CD', model: 'Clio' }, location: { lat: 45.75, lon: 4.85, accuracy_m: 30 } } });
  const res = await api.request('POST', `/api/v1/chats/${chat.id}/context`, {
    token: chat.token,
    json: { fields: { model: 'Clio IV', fuel: 'diesel' }, location: { lat: 45.7601, lon: 4.8357 } },
  });
  t.equal(res.status, 200);
  const expected = { fields: { plate: 'AB-123-CD', model: 'Clio IV', fuel: 'diesel' }, location: { lat: 45.7601, lon: 4.8357 } };
  t.same(((await res.json()) as ChatJson).context, expected, 'the answer is the merged context (the old accuracy is gone with the old location)');
  t.same((await api.chat(chat)).context, expected, 'and GET /chats/{id} shows it');

  const fieldsOnly = await api.request('POST', `/api/v1/chats/${chat.id}/context`, { token: chat.token, json: { fields: { door: 'locked' } } });
  t.equal(fieldsOnly.status, 200);
  t.same((await api.chat(chat)).context, { fields: { ...expected.fields, door: 'locked' }, location: expected.location }, 'fields alone keep the location');

  t.same(await api.messages(chat), [], 'context updates are not chat messages');
});

t.test('a bad context is 400 and changes nothing', async (t) => {
  const chat = await api.createChat({ context: { fields: { plate: 'XY' }, location: { lat: 1, lon: 2 } } });
  const before = (await api.chat(chat)).context;
  const bad: Array<[string, unknown]> = [
    ['lat 200', { location: { lat: 200, lon: 2 } }],
    ['lat -90.5', { location: { lat: -90.5, lon: 2 } }],
    ['lon 181', { location: { lat: 1, lon: 181 } }],
    ['lat as a string', { location: { lat: '1', lon: 2 } }],
    ['location without lon', { location: { lat: 1 } }],
    ['negative accuracy', { location: { lat: 1, lon: 2, accuracy_m: -5 } }],
    ['a field that is not a string', { fields: { plate: 12 } }],
    ['an unknown key', { fields: { plate: 'ZZ' }, colour: 'red' }],
  ];
  for (const [what, json] of bad) {
    await expectError(t, await api.request('POST', `/api/v1/chats/${chat.id}/context`, { token: chat.token, json }), 400, what);
  }
  t.same((await api.chat(chat)).context, before, 'the context is as it was');
});

// ---- ending -------------------------------------------------------------------------------------

t.test('POST end ends the chat; afterwards acting on it is 409 and stores nothing', async (t) => {
  const chat = await api.createChat();
  const bye = await api.say(chat, 'thanks, bye', 'bye-1');
  const photo = await api.upload(chat, { bytes: PNG, type: 'image/png', name: 'last.png' }, { clientId: 'photo-1' });
  t.equal(photo.status, 201);
  const stored = await photo.json();
  const res = await api.end(chat);
  t.equal(res.status, 200);
  t.equal(((await res.json()) as ChatJson).state, 'ended');
  t.equal((await api.chat(chat)).state, 'ended', 'GET /chats/{id} shows it ended');
  const before = await api.messages(chat);

  await expectError(t, await api.send(chat, 'one more thing'), 409, 'a message', 'chat_ended');
  await expectError(t, await api.send(chat, 'one more thing', 'late-1'), 409, 'a message with a client_id', 'chat_ended');
  // A send stored before the end whose answer was lost is sent again after it: the stored one answers.
  const resent = await api.send(chat, 'thanks, bye', 'bye-1');
  t.equal(resent.status, 201, 'a resend of a message stored before the end is answered like the first send');
  t.same(await resent.json(), bye, 'with that message');
  await expectError(t, await api.upload(chat, { bytes: PNG, type: 'image/png', name: 'late.png' }), 409, 'a photo');
  await expectError(t, await api.upload(chat, { bytes: PNG, type: 'image/png', name: 'late.png' }, { clientId: 'photo-2' }), 409, 'a photo with a new client_id', 'chat_ended');
  const photoAgain = await api.upload(chat, { bytes: PNG, type: 'image/png', name: 'last.png' }, { clientId: 'photo-1' });
  t.equal(photoAgain.status, 201, 'a photo stored before the end and sent again is answered like the first send');
  t.same(await photoAgain.json(), stored, 'with that photo');
  await expectError(t, await api.upload(chat, { bytes: PNG, type: 'image/png', name: 'x.png' }, { clientId: 'bye-1' }), 409, "a photo under a message's client_id", 'chat_ended');
  await expectError(t, await api.request('POST', `/api/v1/chats/${chat.id}/context`, { token: chat.token, json: { fields: { late: 'yes' } } }), 409, 'context');
  await expectError(t, await api.end(chat), 409, 'ending it again');
  t.same(await api.messages(chat), before, 'the conversation can still be read, and nothing was added');
  t.same((await api.chat(chat)).context.fields, {}, 'no context was added');
});

// ---- OpenAPI ------------------------------------------------------------------------------------

t.test('OpenAPI 3 documents every operation and status code this file saw', async (t) => {
  // Exercise the main operations here too, so this check never runs on an empty record.
  const chat = await api.createChat();
  await api.say(chat, 'for the record');
  await api.messages(chat);
  await api.chat(chat);
  await api.request('POST', `/api/v1/chats/${chat.id}/context`, { token: chat.token, json: { fields: { a: 'b' } } });
  await api.upload(chat, { bytes: PNG, type: 'image/png', name: 'r.png' });
  await api.end(chat);
  await api.send(chat, 'after the end');

  const { status, doc } = await fetchOpenApi(server.url);
  t.equal(status, 200);
  t.match(String(doc.openapi), /^3\.\d+\.\d+$/, 'an OpenAPI 3.x document');
  t.ok(api.recorder.operations.size >= 7, 'the record is not empty');
  t.same(undocumented(doc, api.recorder, KNOWN_UNDOCUMENTED), [], 'nothing the server answered is missing from the document');
});

// The photo URL in every attachment message is itself documented, with all its answers.
t.test('OpenAPI documents GET /chats/{id}/attachments/{attachmentId}', async (t) => {
  const chat = await api.createChat();
  const msg = (await (await api.upload(chat, { bytes: PNG, type: 'image/png', name: 'd.png' })).json()) as MessageJson;
  t.equal((await api.request('GET', msg.attachment!.url, { token: chat.token })).status, 200);
  await api.request('GET', msg.attachment!.url);
  await api.request('GET', msg.attachment!.url, { token: 'wrong' });
  const { doc } = await fetchOpenApi(server.url);
  t.same(undocumented(doc, api.recorder), []);
});

// An unknown chat id is 404 (chat_not_found) everywhere, and the document says so.
t.test('OpenAPI lists the 404 every chat operation answers for an unknown chat', async (t) => {
  const chat = await api.createChat();
  const unknown = { id: '00000000-0000-0000-0000-000000000000', token: chat.token };
  const local = new ApiClient(server.url);
  await expectError(t, await local.upload(unknown, { bytes: PNG, type: 'image/png', name: 'u.png' }), 404, 'attachments', 'chat_not_found');
  await expectError(t, await local.request('POST', `/api/v1/chats/${unknown.id}/context`, { token: chat.token, json: { fields: { a: 'b' } } }), 404, 'context', 'chat_not_found');
  await expectError(t, await local.end(unknown), 404, 'end', 'chat_not_found');
  t.equal(await local.eventsHandshakeStatus(unknown.id, chat.token), 404, 'events socket');
  const { doc } = await fetchOpenApi(server.url);
  t.same(undocumented(doc, local.recorder), []);
});

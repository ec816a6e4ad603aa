// The SMS webhook against the real server: signed inbound texts become service chats an agent accepts,
// long texts and concatenated parts (out of order, repeated, missing) are shown whole or with a gap,
// replies go to a local gateway receiver signed the same way with their segment count, delivery status
// comes back by callback, and anything unsigned or malformed is refused with nothing stored.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { expectError } from '../helpers/api-errors.ts';
import { agentGet, agentPost, desktopPage, setPresence } from '../helpers/desktop-client.ts';
import { hasAcceptButton } from '../helpers/desktop-html.ts';
import { eventually } from '../helpers/eventually.ts';
import { login, withServer } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { customerTextsIn, hmac, queryIn, smsWebhook } from '../helpers/sms-webhook.ts';

const SECRET = `sms-test-${randomUUID()}`;
const ROADSIDE_NO = '+15550009000';
const CLAIMS_NO = '+15550009001';

// ---- a local SMS gateway that records what we send it ------------------------------------------------

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  json: { id: string; from: string; to: string; text: string; segments: number };
}

async function startReceiver() {
  const received: Received[] = [];
  let answer: { status: number; body: string } = { status: 200, body: JSON.stringify({ status: 'queued' }) };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers, raw, json: JSON.parse(raw) });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/sms/send`,
    received,
    answerWith(status: number, body: unknown) {
      answer = { status, body: typeof body === 'string' ? body : JSON.stringify(body) };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const receiver = await startReceiver();
t.teardown(() => receiver.close());
const env = {
  SMS_WEBHOOK_SECRET: SECRET,
  // With credentials, as many gateways take them: sent as Basic authorization, never in a URL.
  SMS_GATEWAY_URL: receiver.url.replace('http://', 'http://gw-user:gw%40key@'),
  SMS_PART_WAIT_S: '1',
  SMS_NUMBERS: `${ROADSIDE_NO}=roadside,${CLAIMS_NO}=claims`,
};
const server = await withServer(t, { env });
const agent1 = await login(server, 'agent1');

// ---- helpers ------------------------------------------------------------------------------------------

const webhook = (srv: Pick<TestServer, 'url'>, path: 'inbound' | 'status', body: unknown, opts: { signature?: string | null } = {}) => smsWebhook(srv, SECRET, path, body, opts);

async function text(from: string, body: string, extra: Record<string, unknown> = {}) {
  const res = await webhook(server, 'inbound', { id: randomUUID(), from, to: ROADSIDE_NO, text: body, ...extra });
  const json = (await res.json()) as { id: string; status: string };
  if (res.status !== 200) throw new Error(`inbound: expected 200, got ${res.status} ${JSON.stringify(json)}`);
  return json;
}

let phoneCounter = 0;
const newPhone = () => `+1555${String(process.pid % 1000).padStart(3, '0')}${String(++phoneCounter).padStart(4, '0')}`;

/** Reads the server's database (WAL: a reader beside the server is fine). */
function query<T>(sql: string, ...params: Array<string | number>): T[] {
  return queryIn(server.dataDir, sql, ...params);
}
const counts = () => ({
  inbound: query<{ n: number }>('SELECT COUNT(*) AS n FROM sms_inbound')[0]!.n,
  interactions: query<{ n: number }>('SELECT COUNT(*) AS n FROM interactions')[0]!.n,
  messages: query<{ n: number }>("SELECT COUNT(*) AS n FROM timeline WHERE kind = 'message'")[0]!.n,
});

/** The open SMS chat from this number (the newest), once it exists. */
function openChatOf(from: string): Promise<string> {
  return eventually(`an open SMS chat from ${from}`, async () =>
    query<{ id: string }>("SELECT id FROM interactions WHERE channel = 'sms' AND customer_phone = ? AND state <> 'ended' ORDER BY created_at DESC", from)[0]?.id,
  );
}

const customerTexts = (interactionId: string) => customerTextsIn(server.dataDir, interactionId);

async function panel(id: string): Promise<string> {
  const res = await agentGet(agent1, `/desktop/interactions/${id}`, { htmx: true });
  const html = await res.text();
  if (res.status !== 200) throw new Error(`panel: ${res.status} ${html.slice(0, 300)}`);
  return html;
}

/**
 * The SMS chat that `send` opens from `from`, offered to agent1 (Ready) and accepted; agent1 is Not Ready
 * afterwards, and the chat is disconnected when the test ends (SMS customers cannot end a chat).
 */
async function claimed(t: Test, from: string, send: () => Promise<unknown>): Promise<string> {
  await setPresence(agent1, 'ready');
  await send();
  const id = await openChatOf(from);
  t.ok(hasAcceptButton(await desktopPage(agent1), id), 'offered to the Ready agent with an Accept button');
  const res = await agentPost(agent1, `/desktop/interactions/${id}/accept`);
  t.equal(res.status, 200, 'accepted');
  await res.text();
  await setPresence(agent1, 'not_ready');
  t.teardown(async () => void (await (await agentPost(agent1, `/desktop/interactions/${id}/disconnect`)).text()));
  return id;
}

async function acceptedSmsChat(t: Test, from: string, first: string): Promise<string> {
  return claimed(t, from, async () => t.match(await text(from, first), { status: 'delivered' }));
}

async function reply(id: string, message: string): Promise<Received> {
  const before = receiver.received.length;
  const res = await agentPost(agent1, `/desktop/interactions/${id}/messages`, { text: message });
  const html = await res.text();
  if (res.status !== 200 || html.includes('role="alert"')) throw new Error(`reply refused: ${res.status} ${html}`);
  return eventually('the gateway to receive the reply', async () => receiver.received.slice(before).find((r) => r.json.text === message));
}

// ---- tests --------------------------------------------------------------------------------------------

t.test('a text opens a service chat; the agent accepts, sees the number, and replies go out signed with their segment count', async (t) => {
  const from = newPhone();
  const id = await acceptedSmsChat(t, from, 'My car broke down on the A1');
  t.match(await text(from, 'I am at exit 12'), { status: 'delivered' });
  t.equal(await openChatOf(from), id, 'a later text joins the active chat');

  let html = await panel(id);
  t.match(html, `SMS ${from}`, 'the chat is named after the number');
  t.match(html, new RegExp(`<button class="phone"[^>]*aria-label="\\${from}"`), 'the sender is the phone number in the Contact Info Panel');
  t.match(html, 'My car broke down on the A1');
  t.match(html, 'I am at exit 12');
  t.match(html, /<output class="sms-count"[^>]*>0 SMS \(GSM-7\)<\/output>/, 'the composer shows the segment count');
  t.match(html, 'data-sms-count=', 'the message box is wired to the count');

  const long = 'A tow truck is on its way to you now. '.repeat(5).trim();
  const sent = await reply(id, long);
  t.same(sent.json, { id: sent.json.id, from: ROADSIDE_NO, to: from, text: long, segments: 2 }, '{id, from, to, text, segments}');
  t.equal(sent.headers['x-signature'], hmac(SECRET, sent.raw), 'signed over the raw body with the shared secret');
  t.equal(sent.headers.authorization, `Basic ${Buffer.from('gw-user:gw@key').toString('base64')}`, "the URL's credentials as Basic authorization");
  t.equal(sent.headers['content-type'], 'application/json');

  const emoji = await reply(id, 'See you soon 🚗');
  t.equal(emoji.json.segments, 1, 'a short text with emoji: 1 SMS');
  const emojiLong = await reply(id, `${'x'.repeat(69)}😀`);
  t.equal(emojiLong.json.segments, 2, '71 UCS-2 units: 2 SMS');

  await eventually('the gateway answer to show', async () => ((await panel(id)).includes('2 SMS · Queued') ? true : undefined));
  const status = await webhook(server, 'status', { id: sent.json.id, status: 'delivered' });
  t.equal(status.status, 200);
  t.same(await status.json(), { id: sent.json.id, status: 'delivered' });
  html = await panel(id);
  t.match(html, new RegExp(`id="sms-status-${sent.json.id}" data-status="delivered" data-final="true">2 SMS · Delivered<`), 'delivery shown next to the reply');
  t.match(html, /data-status="queued"[^>]*>1 SMS · Queued</);
  t.same(query('SELECT status, segments, encoding FROM sms_outbound WHERE id = ?', sent.json.id), [{ status: 'delivered', segments: 2, encoding: 'GSM-7' }]);

  // A carrier's own words may hold U+0000: the report is taken without it (refused, it would be lost).
  const failed = await webhook(server, 'status', { id: emoji.json.id, status: 'failed', detail: 'no\u0000route' });
  t.equal(failed.status, 200, 'a report with U+0000 in its detail is taken');
  t.same(query('SELECT status, detail FROM sms_outbound WHERE id = ?', emoji.json.id), [{ status: 'failed', detail: 'noroute' }], 'without it');

  const late = await webhook(server, 'status', { id: sent.json.id, status: 'sent' });
  t.same(await late.json(), { id: sent.json.id, status: 'delivered' }, 'a late "sent" does not undo "delivered"');
  await expectError(t, await webhook(server, 'status', { id: 'nope', status: 'delivered' }), 404, 'unknown reply id', 'unknown_message');
  await expectError(t, await webhook(server, 'status', { id: sent.json.id, status: 'read' }), 400, 'unknown status', 'invalid_field');
  await expectError(t, await webhook(server, 'status', { id: sent.json.id, status: 'failed' }, { signature: hmac('wrong', '{}') }), 401, 'unsigned status', 'bad_signature');
});

t.test('concatenated parts out of order and repeated: one message, whole; a 1,600-character text is shown whole', async (t) => {
  const from = newPhone();
  const long = Array.from({ length: 1600 }, (_, i) => 'abcdefghijklmnopqrstuvwxyz'[i % 26]).join('');
  const parts = Array.from({ length: 11 }, (_, i) => ({ id: randomUUID(), text: long.slice(i * 153, (i + 1) * 153), part: i + 1 }));
  const send = (p: (typeof parts)[number], id = p.id) =>
    webhook(server, 'inbound', { id, from, to: ROADSIDE_NO, text: p.text, concat: { ref: 77, part: p.part, total: 11 } });
  const statuses: string[] = [];
  const id = await claimed(t, from, async () => {
    for (const i of [10, 3, 0, 3, 7, 1, 0, 9, 2, 5, 4, 8, 6]) {
      const res = await send(parts[i]!);
      t.equal(res.status, 200);
      statuses.push(((await res.json()) as { status: string }).status);
    }
  });
  t.same(statuses, ['part_stored', 'part_stored', 'part_stored', 'duplicate', 'part_stored', 'part_stored', 'duplicate', 'part_stored', 'part_stored', 'part_stored', 'part_stored', 'part_stored', 'delivered']);
  const again = await send(parts[4]!, randomUUID());
  t.equal(((await again.json()) as { status: string }).status, 'duplicate', 'a copy of a part under a new id, after completion');
  t.same(customerTexts(id), [long], 'reassembled in order, once');
  t.match(await panel(id), long, 'the desktop shows all 1,600 characters');

  const single = newPhone();
  const singleId = await claimed(t, single, () => text(single, long));
  t.same(customerTexts(singleId), [long], 'a 1,600-character text in one webhook call is kept whole too');
});

t.test('a missing part: after SMS_PART_WAIT_S the text is shown with a visible gap marker', async (t) => {
  const from = newPhone();
  const id = await acceptedSmsChat(t, from, 'hello');
  await webhook(server, 'inbound', { id: randomUUID(), from, to: ROADSIDE_NO, text: 'Flat tyre', concat: { ref: 4, part: 1, total: 3 } });
  await webhook(server, 'inbound', { id: randomUUID(), from, to: ROADSIDE_NO, text: 'bring a jack', concat: { ref: 4, part: 3, total: 3 } });
  t.same(customerTexts(id), ['hello'], 'waiting for part 2');
  const shown = await eventually('the text with its gap', async () => customerTexts(id)[1], 5000);
  t.equal(shown, 'Flat tyre […missing part 2 of 3…] bring a jack');
  t.match(await panel(id), '<mark class="sms-gap">[…missing part 2 of 3…]</mark>', 'the gap is marked on the desktop');
});

t.test('Disconnect chat ends the SMS chat; a new text later opens a new one', async (t) => {
  const from = newPhone();
  const id = await acceptedSmsChat(t, from, 'first chat');
  const res = await agentPost(agent1, `/desktop/interactions/${id}/disconnect`);
  t.equal(res.status, 200);
  await res.text();
  t.match(await text(from, 'back again'), { status: 'delivered' });
  const second = await openChatOf(from);
  t.not(second, id, 'a new chat');
  t.same(customerTexts(second), ['back again']);
  t.same(customerTexts(id), ['first chat'], 'the ended chat got nothing more');
  t.teardown(async () => {
    await setPresence(agent1, 'ready');
    await (await agentPost(agent1, `/desktop/interactions/${second}/accept`)).text();
    await setPresence(agent1, 'not_ready');
    await (await agentPost(agent1, `/desktop/interactions/${second}/disconnect`)).text();
  });
});

t.test('bad signatures and malformed bodies are refused with clear errors and nothing is stored', async (t) => {
  const before = counts();
  const valid = { id: randomUUID(), from: newPhone(), to: ROADSIDE_NO, text: 'hello' };
  const raw = JSON.stringify(valid);
  await expectError(t, await webhook(server, 'inbound', valid, { signature: null }), 401, 'no signature', 'missing_signature');
  await expectError(t, await webhook(server, 'inbound', valid, { signature: hmac('other-secret', raw) }), 401, 'other secret', 'bad_signature');
  await expectError(t, await webhook(server, 'inbound', valid, { signature: hmac(SECRET, raw.replace('hello', 'hellO')) }), 401, 'another body', 'bad_signature');
  await expectError(t, await webhook(server, 'inbound', valid, { signature: 'sha256=zz' }), 401, 'not hex', 'bad_signature');
  await expectError(t, await webhook(server, 'inbound', valid, { signature: hmac(SECRET, raw).slice('sha256='.length) }), 401, 'no sha256= prefix', 'bad_signature');

  await expectError(t, await webhook(server, 'inbound', '{"id": "x", "from": '), 400, 'broken JSON', 'malformed_json');
  await expectError(t, await webhook(server, 'inbound', '[1, 2]'), 400, 'an array', 'invalid_body');
  const check = async (body: Record<string, unknown>, what: string, status: number, code: string, message?: RegExp) => {
    const res = await webhook(server, 'inbound', { ...valid, id: randomUUID(), ...body });
    const clone = res.clone();
    await expectError(t, res, status, what, code);
    if (message) t.match(((await clone.json()) as { error: { message: string } }).error.message, message, `${what}: says what is wrong`);
  };
  await check({ from: '5551234567' }, 'from not E.164', 400, 'invalid_field', /^from: must be an E\.164 number/);
  await check({ to: '+1 555 000 9000' }, 'to not E.164', 400, 'invalid_field', /^to:/);
  await check({ id: undefined }, 'no id', 400, 'invalid_field', /^id:/);
  await check({ text: 42 }, 'text not a string', 400, 'invalid_field', /^text:/);
  await check({ concat: { ref: 1, part: 4, total: 3 } }, 'part beyond total', 400, 'invalid_field', /^concat\.part:/);
  await check({ concat: { ref: 1, part: 1 } }, 'no total', 400, 'invalid_field', /^concat\.total:/);
  await check({ text: '   ' }, 'blank text', 400, 'empty_text');
  await check({ to: '+15550001234' }, 'a number we do not have', 404, 'unknown_number', /\+15550001234/);
  // PostgreSQL cannot keep U+0000: refused on every store alike.
  await check({ id: `nul\u0000${randomUUID()}` }, 'NUL in the id', 400, 'nul_character', /"id"/);
  t.same(counts(), before, 'nothing stored');
});

t.test("U+0000 in a carrier's text is dropped, the text kept (a refusal would be final for the gateway)", async (t) => {
  const from = newPhone();
  const id = await acceptedSmsChat(t, from, 'hello');
  t.equal((await text(from, 'stuck at\u0000 exit 12')).status, 'delivered');
  t.same(customerTexts(id), ['hello', 'stuck at exit 12']);
});

t.test('a repeated id is accepted once, also after a restart', async (t) => {
  const from = newPhone();
  const sms = { id: randomUUID(), from, to: CLAIMS_NO, text: 'claim number 12345' };
  const id = await claimed(t, from, async () => {
    const first = await webhook(server, 'inbound', sms);
    t.same(await first.json(), { id: sms.id, status: 'delivered' });
  });
  const again = await webhook(server, 'inbound', sms);
  t.same(await again.json(), { id: sms.id, status: 'duplicate' });
  t.equal(query<{ service_id: string }>('SELECT service_id FROM interactions WHERE id = ?', id)[0]?.service_id, 'claims', 'the number of the claims service');

  // Another server with its own store, restarted on the same data: seen ids and a part still waiting
  // for its sibling survive the restart (SMS_PART_WAIT_S is long enough here for the part to wait).
  const slow = { ...env, SMS_PART_WAIT_S: '60' };
  const before = await withServer(t, { env: slow });
  const part = (n: number, text: string) => ({ id: randomUUID(), from, to: ROADSIDE_NO, text, concat: { ref: 1, part: n, total: 2 } });
  const one = part(1, 'part one, ');
  t.same(await (await webhook(before, 'inbound', sms)).json(), { id: sms.id, status: 'delivered' }, 'another server, its own store');
  t.same(await (await webhook(before, 'inbound', one)).json(), { id: one.id, status: 'part_stored' });
  await before.stop();

  const after = await withServer(t, { env: slow, dataDir: before.dataDir });
  t.same(await (await webhook(after, 'inbound', sms)).json(), { id: sms.id, status: 'duplicate' }, 'the seen id survived the restart');
  t.same(await (await webhook(after, 'inbound', one)).json(), { id: one.id, status: 'duplicate' }, 'the stored part is known');
  const two = part(2, 'part two');
  t.same(await (await webhook(after, 'inbound', two)).json(), { id: two.id, status: 'delivered' });
  const texts = queryIn<{ text: string }>(
    before.dataDir,
    "SELECT t.text FROM timeline t JOIN interactions i ON i.id = t.interaction_id WHERE i.customer_phone = ? AND i.service_id = 'roadside' AND t.kind = 'message' ORDER BY t.seq",
    from,
  ).map((r) => r.text);
  t.same(texts, ['part one, part two'], 'reassembled across the restart');
});

t.test('without SMS_WEBHOOK_SECRET the webhook answers 503 sms_not_configured', async (t) => {
  const bare = await withServer(t);
  await expectError(t, await webhook(bare, 'inbound', { id: 'x', from: newPhone(), to: ROADSIDE_NO, text: 'hi' }), 503, 'inbound', 'sms_not_configured');
  await expectError(t, await webhook(bare, 'status', { id: 'x', status: 'delivered' }), 503, 'status', 'sms_not_configured');
  const health = (await (await fetch(`${bare.url}/healthz`)).json()) as { status: string; sms: unknown };
  t.match(health, { status: 'ok', sms: { state: 'not_configured', webhook: { state: 'not_configured' }, sip: { state: 'not_configured' } } }, '/healthz: no SMS gateway');
});

t.test('/healthz says which SMS gateways are configured; OpenAPI documents the webhook', async (t) => {
  const health = (await (await fetch(`${server.url}/healthz`)).json()) as { sms: unknown };
  t.same(
    health.sms,
    { state: 'up', numbers: [ROADSIDE_NO, CLAIMS_NO], webhook: { state: 'up', inbound: true, outbound: true }, sip: { state: 'not_configured' } },
    'the webhook both ways; no SIP MESSAGE gateway without telephony',
  );
  const doc = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as {
    paths: Record<string, { post?: { security?: unknown; responses: Record<string, unknown> } }>;
    components: { securitySchemes: Record<string, unknown> };
  };
  for (const path of ['/sms/inbound', '/sms/status']) {
    const op = doc.paths[path]?.post;
    t.ok(op, `POST ${path} is documented`);
    t.same(Object.keys(op?.responses ?? {}).sort(), ['200', '400', '401', '404', '413', '503'], `POST ${path}: every status it answers`);
    t.same(op?.security, [{ smsSignature: [] }], `POST ${path}: signed`);
  }
  t.match(doc.components.securitySchemes.smsSignature, { type: 'apiKey', in: 'header', name: 'X-Signature' });
});

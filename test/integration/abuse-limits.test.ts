// Abuse limits of the public API against the real server: chats started per address, messages and
// context updates per chat, photos per chat and per address (count and megabytes), and the memory
// photos may hold while they arrive. Each refusal is 429 with Retry-After and {"error":{"code":
// "rate_limited"}}, and stores nothing. Customers at other addresses are simulated on loopback
// (TRUST_PROXY=loopback and X-Forwarded-For). A customer who behaves never meets the documented defaults.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import t, { type Test } from 'tap';
import { ApiClient, parseFrame, type ChatHandle, type ChatJson } from '../helpers/api-client.ts';
import { errorOf, expectError } from '../helpers/api-errors.ts';
import { eventually } from '../helpers/eventually.ts';
import { login, submitLogin, withServer } from '../helpers/fixtures.ts';
import { PNG } from '../helpers/images.ts';
import { fetchOpenApi, KNOWN_UNDOCUMENTED, undocumented } from '../helpers/openapi-check.ts';
import { logEntries, type TestServer } from '../helpers/server.ts';

const KB = 1024;
const server = await withServer(t, {
  env: {
    TRUST_PROXY: 'loopback',
    CHATS_PER_ADDRESS_PER_HOUR: '3',
    MESSAGES_PER_CHAT_PER_MINUTE: '5',
    CONTEXT_UPDATES_PER_CHAT_PER_MINUTE: '2',
    UPLOADS_PER_CHAT_PER_HOUR: '2',
    UPLOAD_MB_PER_CHAT_PER_HOUR: '1',
    UPLOADS_PER_ADDRESS_PER_HOUR: '3',
    UPLOAD_MEMORY_PER_ADDRESS_MB: '1',
    UPLOAD_MEMORY_MB: '2',
    VIDEO_REQUESTS_PER_CHAT_PER_MINUTE: '3',
    CUSTOMER_SOCKETS_PER_CHAT: '2',
    CUSTOMER_SOCKETS_PER_ADDRESS: '3',
  },
});
const api = new ApiClient(server.url);
let addresses = 0;
/** The API as a customer at an address no other test uses. */
const customer = () => api.from(`198.51.100.${++addresses}`);

/** A real PNG padded to about `size` bytes: its type is still sniffed from its first bytes. */
const photo = (size: number) => ({ bytes: Buffer.concat([PNG, randomBytes(Math.max(0, size - PNG.length))]), type: 'image/png', name: 'p.png' });

async function isRateLimited(t: Test, res: Response, what: string): Promise<string> {
  t.equal(res.status, 429, `${what}: 429`);
  const retryAfter = Number(res.headers.get('retry-after'));
  t.ok(Number.isInteger(retryAfter) && retryAfter > 0, `${what}: Retry-After in whole seconds (${res.headers.get('retry-after')})`);
  const error = await errorOf(res);
  t.equal(error?.code, 'rate_limited', `${what}: code rate_limited`);
  t.match(error?.message ?? '', /Try again in \d+ (seconds?|minutes)|Try again in a few seconds/, `${what}: the message says when`);
  return error?.message ?? '';
}

t.test('chats started from one address are limited; other addresses start theirs', async (t) => {
  const near = customer();
  for (let i = 0; i < 3; i++) await near.createChat();
  const refused = await near.request('POST', '/api/v1/chats', { json: { service: 'roadside', name: 'Fourth', phone: '+15551234567' } });
  t.match(await isRateLimited(t, refused, 'the fourth chat'), /chats started/);
  const bad = await near.request('POST', '/api/v1/chats', { json: { service: 'roadside', name: '', phone: 'nope' } });
  t.equal(bad.status, 400, 'a malformed request is still told what is wrong with it');
  t.ok(await customer().createChat(), 'a customer at another address starts a chat');
});

t.test('a start the rules refuse (a bad phone number, an unknown service) costs the address nothing', async (t) => {
  const client = customer();
  for (let i = 0; i < 5; i++) {
    await expectError(t, await client.request('POST', '/api/v1/chats', { json: { service: 'roadside', name: 'Typo', phone: '5551234' } }), 400, `bad phone ${i + 1}`, 'invalid_phone');
  }
  await expectError(t, await client.request('POST', '/api/v1/chats', { json: { service: 'no-such-service', name: 'Typo', phone: '+15551234567' } }), 404, 'an unknown service');
  for (let i = 0; i < 3; i++) t.ok(await client.createChat(), `chat ${i + 1} of the 3 an address may start`);
});

t.test('Start chat sent again with its Idempotency-Key answers with the same chat and token, and costs the address nothing', async (t) => {
  const client = customer();
  const start = (key: string, name = 'Lost Answer') =>
    client.request('POST', '/api/v1/chats', { json: { service: 'roadside', name, phone: '+15551234567' }, headers: { 'idempotency-key': key } });
  const key = randomBytes(16).toString('hex');
  const first = await start(key);
  t.equal(first.status, 201);
  const chat = (await first.json()) as { id: string; token: string };
  for (let i = 0; i < 4; i++) {
    const again = await start(key);
    t.equal(again.status, 201, `sent again (${i + 1})`);
    t.same(await again.json(), chat, 'the same chat and token');
  }
  const opened = await client.request('GET', `/api/v1/chats/${chat.id}`, { token: chat.token });
  t.equal(opened.status, 200, 'the token opens the chat');
  await expectError(t, await start(key, 'Somebody Else'), 409, 'the key with other details', 'idempotency_key_reused');
  await expectError(t, await start('too-short'), 400, 'a malformed key', 'invalid_idempotency_key');
  for (let i = 0; i < 2; i++) t.equal((await start(randomBytes(16).toString('hex'))).status, 201, `new key ${i + 1}: a new chat`);
  t.match(await isRateLimited(t, await start(randomBytes(16).toString('hex')), 'a fourth new chat'), /chats started/, 'only the 3 new chats were counted');
});

t.test('messages of a chat are limited, posted or sent over the socket; nothing refused is stored', async (t) => {
  const client = customer();
  const chat = await client.createChat();
  for (let i = 0; i < 4; i++) await client.say(chat, `message ${i}`);
  const socket = await client.openEvents(chat.id, chat.token);
  t.teardown(() => socket.close());
  socket.send({ type: 'message', text: 'fifth, over the socket', client_id: 'ws-5' });
  await socket.waitFor((f) => f.includes('"ack"') && f.includes('ws-5'), 'the fifth acknowledged');
  socket.send({ type: 'message', text: 'sixth, over the socket', client_id: 'ws-6' });
  const frame = JSON.parse(await socket.waitFor((f) => f.includes('"error"') && f.includes('ws-6'), 'the sixth refused')) as {
    error: { code: string; message: string };
    retry_after_s?: number;
  };
  t.equal(frame.error.code, 'rate_limited', 'the socket answers rate_limited');
  t.ok((frame.retry_after_s ?? 0) > 0, 'with the seconds to wait');
  await isRateLimited(t, await client.send(chat, 'seventh, posted'), 'a posted message');

  const texts = (await client.messages(chat)).map((m) => m.text);
  t.equal(texts.length, 5, 'five messages stored');
  t.notOk(texts.some((text) => /sixth|seventh/.test(text ?? '')), 'none of the refused');
  const other = await client.createChat();
  t.equal((await client.send(other, 'another chat of the same customer')).status, 201, "another chat's messages are its own");
  t.ok(socket.frames.map(parseFrame).every((f) => f.type !== 'timeline' || !String(f.message?.text).includes('sixth')), 'the refused message was never pushed');
});

t.test('context updates of a chat are limited; a refused one changes nothing', async (t) => {
  const client = customer();
  const chat = await client.createChat();
  const update = (fields: Record<string, string>) => client.request('POST', `/api/v1/chats/${chat.id}/context`, { token: chat.token, json: { fields } });
  t.equal((await update({ first: '1' })).status, 200);
  t.equal((await update({ second: '2' })).status, 200);
  await isRateLimited(t, await update({ third: '3' }), 'the third update in a minute');
  const fields = ((await (await client.request('GET', `/api/v1/chats/${chat.id}`, { token: chat.token })).json()) as ChatJson).context.fields;
  t.same(fields, { first: '1', second: '2' }, 'the context is as the two updates left it');
});

// Each ask for video writes a timeline entry and alerts the agent's desktop, and so does its close: the
// asks are limited, which bounds the closes too (each needs an ask). A close itself never waits: only
// the customer may end a video alone, and their camera must stop when they say so.
t.test('asks for video are limited per chat, a refused one changes nothing; a close goes through past the limit', async (t) => {
  const client = customer();
  const chat = await client.createChat();
  const video = (method: 'POST' | 'DELETE') => client.request(method, `/api/v1/chats/${chat.id}/video`, { token: chat.token });
  const stateOf = async () => ((await (await client.request('GET', `/api/v1/chats/${chat.id}`, { token: chat.token })).json()) as ChatJson & { video: { state: string } | null }).video?.state;
  t.equal((await video('POST')).status, 201, 'asked');
  t.equal((await video('DELETE')).status, 200, 'closed');
  t.equal((await video('POST')).status, 201, 'asked again');
  t.equal((await video('POST')).status, 200, 'and again (the same request)');
  await isRateLimited(t, await video('POST'), 'the fourth ask in a minute');
  t.equal(await stateOf(), 'requested', 'the refused ask changed nothing');
  t.equal((await video('DELETE')).status, 200, 'the close past the limit goes through');
  t.equal(await stateOf(), 'closed');
  t.equal((await video('DELETE')).status, 409, 'a close of nothing open changes nothing');
});

// An events socket holds a descriptor, a listener and a feed on the server for as long as it is open.
t.test('event sockets are limited per chat; a closed one gives its place back', async (t) => {
  const client = customer();
  const chat = await client.createChat();
  const first = await client.openEvents(chat.id, chat.token);
  const second = await client.openEvents(chat.id, chat.token);
  t.teardown(() => second.close());
  t.equal(await client.eventsHandshakeStatus(chat.id, chat.token), 429, 'a third socket of the chat: 429');
  const other = await client.createChat();
  t.equal(await client.eventsHandshakeStatus(other.id, other.token), 101, "another chat's socket opens");
  await first.close();
  t.equal(await eventually('a place to come back', async () => ((await client.eventsHandshakeStatus(chat.id, chat.token)) === 101 ? 101 : undefined)), 101, 'once one closed, a socket opens again');
  await client.say(chat, 'still talking');
  await second.waitFor((f) => f.includes('still talking'), 'the open socket still gets the chat');
  t.pass('the socket kept open is served as before');
});

t.test('event sockets are limited per address too, whatever chats they are for', async (t) => {
  const client = customer();
  const [one, two] = [await client.createChat(), await client.createChat()];
  const open = [await client.openEvents(one.id, one.token), await client.openEvents(one.id, one.token), await client.openEvents(two.id, two.token)];
  t.teardown(() => Promise.all(open.map((s) => s.close())));
  t.equal(await client.eventsHandshakeStatus(two.id, two.token), 429, 'a fourth socket from the address: 429');
  const other = customer();
  const theirs = await other.createChat();
  t.equal(await other.eventsHandshakeStatus(theirs.id, theirs.token), 101, 'another address opens its own');
  await open.pop()!.close();
  t.equal(await eventually('a place to come back', async () => ((await client.eventsHandshakeStatus(two.id, two.token)) === 101 ? 101 : undefined)), 101, 'once one closed, the address opens one again');
});

t.test('photos are limited per chat, in number and in megabytes, and per address', async (t) => {
  const client = customer();
  const counted = await client.createChat();
  t.equal((await client.upload(counted, photo(2 * KB))).status, 201);
  t.equal((await client.upload(counted, photo(2 * KB))).status, 201);
  t.match(await isRateLimited(t, await client.upload(counted, photo(2 * KB)), 'a third photo in the chat'), /photos in this chat/);
  t.equal((await client.messages(counted)).length, 2, 'two photos stored');

  const weighed = await client.createChat();
  t.equal((await client.upload(weighed, photo(600 * KB))).status, 201, 'a 600 KB photo');
  t.match(await isRateLimited(t, await client.upload(weighed, photo(600 * KB)), 'a second 600 KB photo (1 MB an hour)'), /megabytes of photos in this chat/);

  const fresh = await client.createChat();
  t.match(await isRateLimited(t, await client.upload(fresh, photo(2 * KB)), 'a fourth photo from the address'), /photos from your network/);
  const other = customer();
  t.equal((await other.upload(await other.createChat(), photo(2 * KB))).status, 201, 'another address sends photos');
});

/**
 * A photo upload whose headers say `bytes` and whose body never comes, held open until `abort`.
 * `received`: the server has the request (it asked for the body with 100 Continue).
 */
function stalledUpload(s: TestServer, chat: ChatHandle, address: string, bytes: number): { received: Promise<void>; answer: Promise<number>; abort(): void } {
  const req = request({
    host: '127.0.0.1',
    port: s.port,
    method: 'POST',
    path: `/api/v1/chats/${chat.id}/attachments`,
    headers: {
      authorization: `Bearer ${chat.token}`,
      'content-type': 'multipart/form-data; boundary=x',
      'content-length': String(bytes),
      'x-forwarded-for': address,
      expect: '100-continue',
    },
  });
  const received = new Promise<void>((resolve) => req.once('continue', () => (req.write('--x\r\n'), resolve())));
  const answer = new Promise<number>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
  });
  req.flushHeaders();
  return { received, answer, abort: () => req.destroy() };
}

/** Sends a photo until the answer is `status`: a probe that beat the server's bookkeeping is tried again. */
function uploadUntil(client: ApiClient, chat: ChatHandle, size: number, status: number): Promise<Response> {
  return eventually(`a ${size >> 10} KB photo answered ${status}`, async () => {
    const res = await client.upload(chat, photo(size));
    return res.status === status ? res : undefined;
  });
}

/** A 900 KB photo of `client` that stays on its way until the test ends (or `abort`). */
async function slowPhoto(t: Test, client: ApiClient, chat: ChatHandle): Promise<{ abort(): void }> {
  const upload = stalledUpload(server, chat, client.headers['x-forwarded-for']!, 900 * KB);
  t.teardown(() => upload.abort());
  await upload.received;
  return upload;
}

t.test('what photos arriving at once may hold in memory is bounded per address and in all', async (t) => {
  const [a, b, c] = [customer(), customer(), customer()];
  const [chatA1, chatA2, chatA3, chatB, chatC] = await Promise.all([a.createChat(), a.createChat(), a.createChat(), b.createChat(), c.createChat()]);
  const slow = await slowPhoto(t, a, chatA1);
  const atOnce = await uploadUntil(a, chatA2, 200 * KB, 429);
  t.match(await isRateLimited(t, atOnce, 'a second photo while 900 KB arrive'), /arriving from your network at once/);
  const second = await slowPhoto(t, b, chatB);
  const busy = await uploadUntil(c, chatC, 300 * KB, 503);
  t.ok(Number(busy.headers.get('retry-after')) > 0, 'busy: 503 with Retry-After');
  t.equal((await errorOf(busy))?.code, 'uploads_busy');

  slow.abort();
  second.abort();
  await uploadUntil(a, chatA3, 200 * KB, 201); // the room is given back when an upload is cut off
  t.equal((await c.upload(chatC, photo(300 * KB))).status, 201, 'and others may send again');
});

/** A GET of a photo whose answer is never read (until `abort`); `status`, once its headers are in. */
function unreadDownload(s: TestServer, chat: ChatHandle, attachmentId: string, address: string): { status: Promise<number>; abort(): void } {
  const req = request({
    host: '127.0.0.1',
    port: s.port,
    path: `/api/v1/chats/${chat.id}/attachments/${attachmentId}`,
    headers: { authorization: `Bearer ${chat.token}`, 'x-forwarded-for': address },
  });
  const status = new Promise<number>((resolve) => {
    req.on('response', (res) => {
      res.pause(); // nothing of the body is read
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
  });
  req.end();
  return { status, abort: () => req.destroy() };
}

t.test('photos sent to a client that does not read them hold a bounded room, given back when it goes', async (t) => {
  const own = await withServer(t, { env: { TRUST_PROXY: 'loopback', UPLOAD_MEMORY_PER_ADDRESS_MB: '12', UPLOAD_MEMORY_MB: '40' } });
  const client = new ApiClient(own.url).from('198.51.100.200');
  const chat = await client.createChat();
  const stored = (await (await client.upload(chat, photo(9 * 1024 * KB))).json()) as { attachment: { id: string } };
  const first = unreadDownload(own, chat, stored.attachment.id, '198.51.100.200');
  t.teardown(() => first.abort());
  t.equal(await first.status, 200, 'a 9 MB photo is being sent, and not read');
  const second = await eventually('a second download refused while the first is held', async () => {
    const res = await client.request('GET', `/api/v1/chats/${chat.id}/attachments/${stored.attachment.id}`, { token: chat.token });
    if (res.status === 200) await res.arrayBuffer();
    return res.status === 429 ? res : undefined;
  });
  t.match(await isRateLimited(t, second, 'the same photo again from the same address'), /leaving for your network at once/);
  first.abort();
  const again = await eventually('the room given back once the first client went', async () => {
    const res = await client.request('GET', `/api/v1/chats/${chat.id}/attachments/${stored.attachment.id}`, { token: chat.token });
    return res.status === 200 ? res : undefined;
  });
  t.equal((await again.arrayBuffer()).byteLength, 9 * 1024 * KB, 'the photo whole');

  // Clients that leave at once (while the photo is looked up, or as it starts) keep nothing held.
  for (let i = 0; i < 20; i++) {
    const gone = unreadDownload(own, chat, stored.attachment.id, '198.51.100.200');
    setImmediate(() => gone.abort());
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = await eventually('a download once they are gone', async () => {
    const res = await client.request('GET', `/api/v1/chats/${chat.id}/attachments/${stored.attachment.id}`, { token: chat.token });
    return res.status === 200 ? res : undefined;
  });
  t.equal((await after.arrayBuffer()).byteLength, 9 * 1024 * KB, 'the room is all there again');
  // Photos leaving never take the room of photos arriving.
  const held = unreadDownload(own, chat, stored.attachment.id, '198.51.100.200');
  t.teardown(() => held.abort());
  t.equal(await held.status, 200);
  t.equal((await client.upload(chat, photo(9 * 1024 * KB))).status, 201, 'a 9 MB upload while 9 MB are on their way out');
});

t.test('a photo declared larger than the largest allowed is refused before its bytes are read', { timeout: 10_000 }, async (t) => {
  const client = customer();
  const chat = await client.createChat();
  const huge = stalledUpload(server, chat, client.headers['x-forwarded-for']!, 200 * 1024 * KB);
  t.teardown(() => huge.abort());
  t.equal(await huge.answer, 413, '413 while the body has not been sent');
});

t.test('everything the server answered is in the OpenAPI document', async (t) => {
  const { doc } = await fetchOpenApi(server.url);
  t.same(undocumented(doc, api.recorder, KNOWN_UNDOCUMENTED), [], '429 and 503 are documented where they are answered');
  t.same(logEntries(server, 'unhandled error'), [], 'and no refusal was an unhandled error');
});

t.test('a customer who behaves never meets the documented defaults', async (t) => {
  const plain = await withServer(t);
  const client = new ApiClient(plain.url);
  const chat = await client.createChat({ context: { fields: { plate: 'AB-123' } } });
  // A message a second for a minute is at most 61 in any minute: these come faster than that.
  for (let i = 0; i < 65; i++) await client.say(chat, `message ${i}`);
  for (let i = 0; i < 15; i++) {
    const res = await client.request('POST', `/api/v1/chats/${chat.id}/context`, { token: chat.token, json: { location: { lat: 48.1 + i / 1000, lon: 11.5 } } });
    t.equal(res.status, 200, `location update ${i + 1}`);
  }
  for (let i = 0; i < 10; i++) {
    const res = await client.upload(chat, photo(3 * 1024 * KB));
    t.equal(res.status, 201, `photo ${i + 1} of 3 MB`);
  }
  t.equal((await client.messages(chat)).length, 75, 'every message and photo is stored');
  t.ok(await client.createChat(), 'and the customer starts a second chat');
  for (const typo of ['dmeo', 'Demo']) t.equal((await (await submitLogin(plain, 'agent1', typo)).text()).includes('Wrong username or password'), true, 'a typo');
  t.ok(await login(plain, 'agent1', 'demo'), 'an agent who mistyped twice logs in');
});

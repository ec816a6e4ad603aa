// Nothing the customer sent is lost on a restart or a crash: messages, photos and context are read back from the
// same data folder by a new server process, and the chat's token still opens it.
import t from 'tap';
import { withServer } from '../helpers/fixtures.ts';
import { ApiClient, type MessageJson } from '../helpers/api-client.ts';
import { PNG } from '../helpers/images.ts';
import { fetchOpenApi, KNOWN_UNDOCUMENTED, undocumented } from '../helpers/openapi-check.ts';

t.test('messages, a photo and context survive a server restart', async (t) => {
  let server = await withServer(t);
  const dataDir = server.dataDir;
  const api = new ApiClient(server.url);

  const chat = await api.createChat({ name: 'Rosa Restart', phone: '+4915112345678', context: { fields: { plate: 'B-XY-123' } } });
  const first = await api.say(chat, 'The engine will not start', 'r-1');
  const upload = await api.upload(chat, { bytes: PNG, type: 'image/png', name: 'engine.png' });
  t.equal(upload.status, 201);
  const photo = (await upload.json()) as MessageJson;
  const ctx = await api.request('POST', `/api/v1/chats/${chat.id}/context`, {
    token: chat.token,
    json: { fields: { model: 'Golf' }, location: { lat: 52.52, lon: 13.405, accuracy_m: 8 } },
  });
  t.equal(ctx.status, 200);
  // The last message is acknowledged just before the stop: it must be on disk already.
  const last = await api.say(chat, 'Please hurry');
  const ended = await api.createChat({ name: 'Ended Earlier' });
  await api.say(ended, 'bye');
  t.equal((await api.end(ended)).status, 200);

  const messagesBefore = await api.messages(chat);
  const chatBefore = await api.chat(chat);
  t.same(messagesBefore.map((m) => m.id), [first.id, photo.id, last.id]);

  await server.stop();
  server = await withServer(t, { dataDir });
  api.baseUrl = server.url;

  t.same(await api.chat(chat), chatBefore, 'the chat, its state and its context are back, and the token opens it');
  t.same((await api.chat(chat)).context, { fields: { plate: 'B-XY-123', model: 'Golf' }, location: { lat: 52.52, lon: 13.405, accuracy_m: 8 } });
  t.same(await api.messages(chat), messagesBefore, 'every message and the photo, with the same ids and order');
  const served = await api.request('GET', photo.attachment!.url, { token: chat.token });
  t.equal(served.status, 200);
  t.equal(served.headers.get('content-type'), 'image/png');
  t.same(Buffer.from(await served.arrayBuffer()), PNG, 'the photo bytes are intact');

  const retry = await api.say(chat, 'The engine will not start', 'r-1');
  t.equal(retry.id, first.id, 'a client_id retried after the restart still returns the first message');
  const next = await api.say(chat, 'still there?');
  t.ok(next.seq > last.seq, 'new messages continue after the old ones');
  t.same((await api.messages(chat)).map((m) => m.id), [first.id, photo.id, last.id, next.id]);

  t.equal((await api.chat(ended)).state, 'ended', 'an ended chat stays ended');
  t.equal((await api.send(ended, 'hello again')).status, 409);

  const { doc } = await fetchOpenApi(server.url);
  t.same(undocumented(doc, api.recorder, KNOWN_UNDOCUMENTED), [], 'OpenAPI lists every operation and status code seen here');
});

t.test('every acknowledged message survives a crash of the server (SIGKILL), in order, with its client id', async (t) => {
  let server = await withServer(t);
  const dataDir = server.dataDir;
  const api = new ApiClient(server.url);
  const chats = [await api.createChat({ name: 'Kim Crash' }), await api.createChat({ name: 'Lou Crash' })];
  // Sent one after the other: each is acknowledged, so on disk, before the next.
  const sent: MessageJson[][] = [[], []];
  for (let n = 1; n <= 45; n++) {
    for (const [i, chat] of chats.entries()) sent[i]!.push(await api.say(chat, `message ${n}`, `crash-${i}-${n}`));
  }

  process.kill(server.pid, 'SIGKILL'); // no shutdown: nothing gets to write what it held in memory
  await server.stop();
  server = await withServer(t, { dataDir });
  api.baseUrl = server.url;

  for (const [i, chat] of chats.entries()) {
    t.same((await api.messages(chat)).map((m) => [m.id, m.text]), sent[i]!.map((m) => [m.id, m.text]), `chat ${i + 1}: all 45, in order`);
    t.same((await api.messages(chat, sent[i]![39]!.seq)).map((m) => m.id), sent[i]!.slice(40).map((m) => m.id), `chat ${i + 1}: read on from a seq`);
    t.equal((await api.say(chat, 'message 44', `crash-${i}-44`)).id, sent[i]![43]!.id, `chat ${i + 1}: a retried send gets its first message`);
    t.ok((await api.say(chat, 'after the crash')).seq > sent[i]!.at(-1)!.seq, `chat ${i + 1}: a new message goes after them`);
  }
});

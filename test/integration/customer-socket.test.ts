// Customers (apps) may also send messages over their chat's events socket: {type:"message", text,
// client_id} is answered by {type:"ack", client_id, message} once the message is on disk, or by
// {type:"error", client_id, error:{code, message}} with nothing stored.
import { once } from 'node:events';
import t, { type Test } from 'tap';
import { WebSocket } from 'ws';
import { LIMITS } from '../../src/domain/limits.ts';
import { ApiClient, type ChatHandle, type MessageJson } from '../helpers/api-client.ts';
import { eventually, sleep } from '../helpers/eventually.ts';
import { withServer } from '../helpers/fixtures.ts';
import type { SocketProbe } from '../helpers/socket-probe.ts';

interface AckFrame {
  type: 'ack';
  client_id: string | null;
  message: MessageJson;
}
interface ErrorFrame {
  type: 'error';
  client_id: string | null;
  error: { code: string; message: string };
}

function reply<T extends { type: string }>(socket: SocketProbe, type: T['type'], clientId: string | null, from: number): Promise<T> {
  return socket
    .waitFor((f) => {
      const frame = JSON.parse(f) as { type: string; client_id?: unknown };
      return frame.type === type && (clientId === null || frame.client_id === clientId);
    }, `a ${type} frame for ${clientId}`, { from })
    .then((f) => JSON.parse(f) as T);
}

async function send<T extends { type: string }>(socket: SocketProbe, frame: unknown, type: T['type'], clientId: string | null): Promise<T> {
  const from = socket.frames.length;
  socket.send(frame);
  return reply<T>(socket, type, clientId, from);
}

async function openChat(t: Test, api: ApiClient): Promise<{ chat: ChatHandle; socket: SocketProbe }> {
  const chat = await api.createChat();
  const socket = await api.openEvents(chat.id, chat.token);
  t.teardown(() => socket.close());
  return { chat, socket };
}

t.test('a message sent over the socket is acknowledged with the stored message, once per client id', async (t) => {
  const api = new ApiClient((await withServer(t)).url);
  const { chat, socket } = await openChat(t, api);

  const ack = await send<AckFrame>(socket, { type: 'message', text: 'Flat tyre on the A1', client_id: 'sock-1' }, 'ack', 'sock-1');
  t.match(ack.message, { text: 'Flat tyre on the A1', author: 'customer', seq: Number });
  const retried = await send<AckFrame>(socket, { type: 'message', text: 'Flat tyre on the A1', client_id: 'sock-1' }, 'ack', 'sock-1');
  t.equal(retried.message.id, ack.message.id, 'a retried client id gets the first message back');
  t.same((await api.messages(chat)).map((m) => m.id), [ack.message.id], 'stored once');
  t.notOk(
    socket.frames.some((f) => JSON.parse(f).type === 'timeline' && f.includes(ack.message.id)),
    'the sender is not sent its own message a second time on the timeline',
  );
});

t.test('bad frames get an error frame, change nothing, and leave the socket usable', async (t) => {
  const api = new ApiClient((await withServer(t)).url);
  const { chat, socket } = await openChat(t, api);
  const cases: [frame: unknown, clientId: string | null, code: string][] = [
    ['this is not json', null, 'malformed_json'],
    [{ type: 'typing', client_id: 'b-1' }, 'b-1', 'unknown_frame'],
    [{ type: 'message', text: 42, client_id: 'b-2' }, 'b-2', 'invalid_field'],
    [{ type: 'message', text: 'hi', client_id: 'b-3', admin: true }, 'b-3', 'invalid_field'],
    [{ type: 'message', text: 'x'.repeat(LIMITS.textMaxChars + 1), client_id: 'b-4' }, 'b-4', 'text_too_long'],
  ];
  for (const [frame, clientId, code] of cases) {
    const error = await send<ErrorFrame>(socket, frame, 'error', clientId);
    t.equal(error.error.code, code, `${JSON.stringify(frame).slice(0, 60)} -> ${code}`);
    t.type(error.error.message, 'string');
  }
  const junk = await send<ErrorFrame>(socket, { type: 'typing', client_id: 'j'.repeat(50_000) }, 'error', null);
  t.same([junk.error.code, junk.client_id], ['unknown_frame', null], 'a client id no message could carry is not sent back (at the size it came)');
  t.same(await api.messages(chat), [], 'nothing was stored');
  const ack = await send<AckFrame>(socket, { type: 'message', text: 'still here', client_id: 'ok-1' }, 'ack', 'ok-1');
  t.equal(ack.message.text, 'still here');

  t.equal((await api.end(chat)).status, 200);
  const ended = await send<ErrorFrame>(socket, { type: 'message', text: 'anyone?', client_id: 'late-1' }, 'error', 'late-1');
  t.equal(ended.error.code, 'chat_ended', 'a message to an ended chat is refused');
  t.same((await api.messages(chat)).map((m) => m.text), ['still here']);
});

t.test('every acknowledged message survives the server being killed at once', async (t) => {
  const first = await withServer(t);
  const api = new ApiClient(first.url);
  const chat = await api.createChat();
  const socket = await api.openEvents(chat.id, chat.token);
  const acks = await Promise.all(
    Array.from({ length: 50 }, (_, i) => send<AckFrame>(socket, { type: 'message', text: `burst ${i}`, client_id: `k-${i}` }, 'ack', `k-${i}`)),
  );
  process.kill(first.pid, 'SIGKILL'); // no shutdown: only what was committed before each ack is there
  await first.stop();
  socket.ws.terminate();

  const again = await withServer(t, { dataDir: first.dataDir });
  api.baseUrl = again.url;
  const stored = new Map((await api.messages(chat)).map((m) => [m.id, m.text]));
  t.same(
    acks.filter((a) => stored.get(a.message.id) !== a.message.text).map((a) => a.client_id),
    [],
    'every acknowledged message is there with its text',
  );
});

// Every frame is answered, even junk: a client that sends without reading the answers must not have
// them queued in the server without end. Past a bound the server reads it no more, so what it sends
// stays on its side; once it reads again, so does the server.
t.test('a socket that sends without reading its answers is read no more until it reads them', async (t) => {
  const api = new ApiClient((await withServer(t)).url);
  const chat = await api.createChat();
  const ws = new WebSocket(api.eventsUrl(chat.id, chat.token));
  t.teardown(() => ws.terminate());
  await once(ws, 'open');
  const answers: string[] = [];
  ws.on('message', (data) => answers.push(String(data)));
  ws.pause();
  // Small junk first (each answered by a larger error frame), enough to fill the kernel's buffers
  // towards the client; then 24 MB more.
  for (let i = 0; i < 200_000; i++) ws.send('x');
  const big = 'x'.repeat(60 * 1024);
  for (let i = 0; i < 400; i++) ws.send(big);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  t.ok(ws.bufferedAmount > 8 * 1024 * 1024, `the server stopped reading: ${(ws.bufferedAmount / 1e6).toFixed(1)} MB still on the client's side`);
  ws.resume();
  await eventually('the server reading again once its answers are read', () => (ws.bufferedAmount === 0 ? true : undefined), 30_000);
  ws.send(JSON.stringify({ type: 'message', text: 'Still there?', client_id: 'after-flood' }));
  await eventually('the ack of a message sent after the flood', () => (answers.some((a) => a.includes('"ack"') && a.includes('after-flood')) ? true : undefined), 30_000);
  t.ok(answers.filter((a) => a.includes('malformed_json')).length >= 200_400, 'every junk frame was answered in the end');
});

t.test("a chat's socket closes when its token stops opening the chat (ENDED_CHAT_ACCESS_H after its end)", async (t) => {
  const api = new ApiClient((await withServer(t, { env: { ENDED_CHAT_ACCESS_H: String(4 / 3600) } })).url);
  const { chat, socket } = await openChat(t, api);
  const closed = once(socket.ws, 'close');
  t.equal((await api.end(chat)).status, 200, 'the customer ends the chat');
  await socket.waitFor((f) => f.includes('"state":"ended"'), 'the end on the socket');
  const [code] = (await Promise.race([closed, sleep(20_000).then(() => ['still open after 20 s'])])) as [number | string];
  t.equal(code, 1008, 'then the socket is closed, as the token no longer opens the chat');
  t.equal(await api.eventsHandshakeStatus(chat.id, chat.token), 401, 'nor does it open a new one');
});

t.test('a seq past what a timeline can hold is refused as such, not a server error', async (t) => {
  const api = new ApiClient((await withServer(t)).url);
  const chat = await api.createChat();
  const res = await api.request('GET', `/api/v1/chats/${chat.id}/messages?after=${2 ** 31}`, { token: chat.token });
  t.equal(res.status, 400);
  t.equal(((await res.json()) as { error: { code: string } }).error.code, 'invalid_after');
  const socket = await api.openEvents(chat.id, chat.token, 2 ** 31);
  t.teardown(() => socket.close());
  await api.say(chat, 'after the huge seq');
  t.equal((await api.messages(chat)).length, 1, 'the chat goes on');
});

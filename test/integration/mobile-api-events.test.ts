// The customer's events socket of the mobile API (/api/v1/chats/{id}/events) against the real server:
// the chat first, then the timeline, then live entries; after=n, each entry once even while messages
// pour in; and the OpenAPI document covering what this file saw. One server for the whole file; no
// agent is ever Ready on it, so chats stay queued unless a test ends them.
import t from 'tap';
import { ApiClient, parseFrame, timelineFrames, type ChatJson, type MessageJson } from '../helpers/api-client.ts';
import { sleep } from '../helpers/eventually.ts';
import { withServer } from '../helpers/fixtures.ts';
import { PNG } from '../helpers/images.ts';
import { fetchOpenApi, KNOWN_UNDOCUMENTED, undocumented } from '../helpers/openapi-check.ts';
import type { SocketProbe } from '../helpers/socket-probe.ts';

const server = await withServer(t);
const api = new ApiClient(server.url);

// ---- the customer's events socket -------------------------------------------------------------------

t.test('the events socket sends {type:"chat"} first, then the timeline, then live entries', async (t) => {
  const chat = await api.createChat();
  const first = await api.say(chat, 'first');
  const second = await api.say(chat, 'second');
  const photo = (await (await api.upload(chat, { bytes: PNG, type: 'image/png', name: 'p.png' })).json()) as MessageJson;
  const ctx = await api.request('POST', `/api/v1/chats/${chat.id}/context`, { token: chat.token, json: { fields: { k: 'v' } } });
  t.equal(ctx.status, 200);

  const socket = await api.openEvents(chat.id, chat.token, 0);
  t.teardown(() => socket.close());
  await socket.waitFor((f) => parseFrame(f).type === 'timeline' && (parseFrame(f) as { seq: number }).seq === photo.seq, 'the photo entry');
  const opening = parseFrame(socket.frames[0]!);
  t.equal(opening.type, 'chat', 'the first frame is the chat');
  if (opening.type === 'chat') t.match(opening.chat, { id: chat.id, state: 'queued', service: 'roadside' });
  const entries = timelineFrames(socket.frames);
  t.same(
    entries.map((e) => [e.seq, e.kind, e.message?.id]),
    [
      [first.seq, 'message', first.id],
      [second.seq, 'message', second.id],
      [photo.seq, 'attachment', photo.id],
    ],
    'the conversation in order, each entry once',
  );
  t.equal(entries[0]?.message?.text, 'first');

  const live = await api.say(chat, 'live one');
  const liveFrame = await socket.waitFor((f) => f.includes(live.id), 'the live message');
  t.match(JSON.parse(liveFrame), { type: 'timeline', kind: 'message', seq: live.seq, message: { id: live.id, text: 'live one', author: 'customer' } });

  const count = socket.frames.length;
  t.equal((await api.end(chat)).status, 200);
  await socket.waitFor((f) => parseFrame(f).type === 'chat' && (parseFrame(f) as { chat: ChatJson }).chat.state === 'ended', 'the chat frame with state ended', { from: count });
  await socket.waitFor((f) => (parseFrame(f) as { kind?: string }).kind === 'ended', 'the ended entry', { from: count });
});

t.test('the events socket with after=n sends only entries after n, each once, even while messages pour in', async (t) => {
  const chat = await api.createChat();
  const sent: MessageJson[] = [];
  for (let i = 1; i <= 4; i++) sent.push(await api.say(chat, `m${i}`));

  const socket = await api.openEvents(chat.id, chat.token, sent[1]!.seq);
  t.teardown(() => socket.close());
  await socket.waitFor((f) => f.includes(sent[3]!.id), 'the last stored message');
  await sleep(200);
  t.same(
    timelineFrames(socket.frames).map((e) => e.seq),
    [sent[2]!.seq, sent[3]!.seq],
    'only the entries after n',
  );

  // More sockets connect while messages are being sent, several at a time: no gap, no duplicate.
  const burst = Array.from({ length: 40 }, (_, i) => `burst ${i}`);
  const sending = (async () => {
    const out: MessageJson[] = [];
    for (let i = 0; i < burst.length; i += 4) out.push(...(await Promise.all(burst.slice(i, i + 4).map((text) => api.say(chat, text)))));
    return out;
  })();
  const racing: SocketProbe[] = [];
  for (let i = 0; i < 6; i++) {
    const probe = await api.openEvents(chat.id, chat.token, sent[0]!.seq);
    t.teardown(() => probe.close());
    racing.push(probe);
    await sleep(10);
  }
  const burstSent = await sending;
  const lastSeq = Math.max(...burstSent.map((m) => m.seq));
  const gotLast = (f: string) => parseFrame(f).type === 'timeline' && (parseFrame(f) as { seq: number }).seq === lastSeq;
  for (const probe of [socket, ...racing]) await probe.waitFor(gotLast, 'the last burst message');
  await sleep(200);
  const burstSeqs = burstSent.map((m) => m.seq).sort((a, b) => a - b);
  const expected = [sent[1]!.seq, sent[2]!.seq, sent[3]!.seq, ...burstSeqs];
  racing.forEach((probe, i) => {
    t.same(timelineFrames(probe.frames).map((e) => e.seq), expected, `racing socket ${i + 1}: every entry after n exactly once, in order`);
  });
  t.same(timelineFrames(socket.frames).map((e) => e.seq), [sent[2]!.seq, sent[3]!.seq, ...burstSeqs], 'the first socket got each live entry once');
});
// ---- OpenAPI ------------------------------------------------------------------------------------

t.test('OpenAPI documents every operation and status code this file saw', async (t) => {
  const { status, doc } = await fetchOpenApi(server.url);
  t.equal(status, 200);
  t.ok(api.recorder.operations.has('get /chats/{id}/events'), 'the record holds the events socket');
  t.same(undocumented(doc, api.recorder, KNOWN_UNDOCUMENTED), [], 'nothing the server answered is missing from the document');
});

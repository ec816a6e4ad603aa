// The agent desktop against the real server: login, CSRF, presence, offers, accept, chatting with a
// mobile customer, escaping of everything the customer typed, disconnect and history, and both live
// sockets (the desktop's HTML fragments and the customer's JSON events). One server for the file; every
// test makes its own chats and ends them, and sets agent1's presence itself.
import t, { type Test } from 'tap';
import { parseFrame, uniqueName, type ChatHandle, type ChatJson } from '../helpers/api-client.ts';
import { expectError } from '../helpers/api-errors.ts';
import { agentGet, agentPost, desktopPage, desktopSocketUrl, setPresence, type Agent } from '../helpers/desktop-client.ts';
import { hasAcceptButton, listItem, presenceShown } from '../helpers/desktop-html.ts';
import { sleep } from '../helpers/eventually.ts';
import { acceptThenNotReady, chatWithReadyAgent, endChatAtTeardown, login, withDesk } from '../helpers/fixtures.ts';
import { fetchOpenApi, KNOWN_UNDOCUMENTED, undocumented } from '../helpers/openapi-check.ts';
import { HandshakeRefused, openSocket, type SocketProbe } from '../helpers/socket-probe.ts';

const { server, api, agent1, agent2 } = await withDesk(t);

/** agent1 goes Ready and a new chat is created: it is offered to agent1 at once (ended as the customer at teardown). */
async function offeredChat(t: Test, body: Record<string, unknown> = {}): Promise<ChatHandle> {
  const chat = await chatWithReadyAgent(t, api, agent1, body);
  const state = (await api.chat(chat)).state;
  if (state !== 'offered') throw new Error(`expected the new chat to be offered to the Ready agent, it is ${state}`);
  return chat;
}

/** A chat offered to agent1 and accepted; agent1 is Not Ready again afterwards, so it gets no other offer. */
async function acceptedChat(t: Test, body: Record<string, unknown> = {}): Promise<ChatHandle> {
  const chat = await offeredChat(t, body);
  await acceptThenNotReady(agent1, chat);
  return chat;
}

async function agentSays(agent: Agent, chat: ChatHandle, text: string): Promise<Response> {
  return agentPost(agent, `/desktop/interactions/${chat.id}/messages`, { text });
}

function openDesktopSocket(agent: Agent, headers: Record<string, string> = {}): Promise<SocketProbe> {
  return openSocket(desktopSocketUrl(agent.baseUrl), { headers: { cookie: agent.cookie, origin: agent.baseUrl, ...headers } });
}

async function refusedWith(promise: Promise<SocketProbe>): Promise<number | string> {
  try {
    await (await promise).close();
    return 'accepted';
  } catch (err) {
    return err instanceof HandshakeRefused ? err.status : String(err);
  }
}

// ---- login and session ---------------------------------------------------------------------------

t.test('GET /desktop without a session redirects to /login', async (t) => {
  const res = await fetch(`${server.url}/desktop`, { redirect: 'manual' });
  t.ok([302, 303].includes(res.status), `a redirect (got ${res.status})`);
  t.equal(new URL(res.headers.get('location') ?? '', server.url).pathname, '/login');
  const stale = await fetch(`${server.url}/desktop`, { redirect: 'manual', headers: { cookie: 'sid=not-a-session' } });
  t.equal(new URL(stale.headers.get('location') ?? '', server.url).pathname, '/login', 'an unknown session too');
  const htmx = await fetch(`${server.url}/desktop`, { redirect: 'manual', headers: { 'hx-request': 'true' } });
  t.equal(htmx.status, 401, 'htmx requests get 401');
  t.equal(htmx.headers.get('hx-redirect'), '/login', 'with HX-Redirect to the login page');
});

t.test('a wrong password is refused with 401 and gives no session', async (t) => {
  const attempts: Array<[string, string]> = [
    ['agent1', 'wrong'],
    ['agent1', ''],
    ['nobody', 'demo'],
  ];
  for (const [username, password] of attempts) {
    const page = await fetch(`${server.url}/login`);
    const html = await page.text();
    t.equal(page.status, 200);
    t.match(html, /<label[^>]*>Username<\/label>/);
    t.match(html, /<label[^>]*>Password<\/label>/);
    t.match(html, /<button[^>]*>Log in<\/button>/);
    const csrfCookie = page.headers.getSetCookie().find((c) => c.startsWith('csrf='))?.split(';')[0] ?? '';
    const formToken = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const res = await fetch(`${server.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie },
      body: new URLSearchParams({ username, password, _csrf: formToken }).toString(),
    });
    t.equal(res.status, 401, `${username}/${password || '(empty)'}: 401`);
    t.notOk(res.headers.getSetCookie().some((c) => c.startsWith('sid=')), 'no session cookie');
    t.match(await res.text(), /Wrong username or password/, 'the page says why');
  }
});

t.test('login() opens the desktop of that agent', async (t) => {
  const session = await login(server, 'agent1', 'demo');
  const html = await desktopPage(session);
  t.match(html, /Agent One/, "the agent's name");
  t.match(html, /<button[^>]*value="ready"[^>]*>Ready<\/button>/, 'a Ready button');
  t.match(html, /<button[^>]*value="not_ready"[^>]*>Not Ready<\/button>/, 'a Not Ready button');
  t.match(html, new RegExp(`<meta name="csrf-token" content="${session.csrf}">`), 'the CSRF token of this session');
  const other = await login(server, 'agent2', 'demo');
  t.not(other.cookie, session.cookie, 'each login is its own session');
  t.match(await desktopPage(other), /Agent Two/);
});

t.test('POST /desktop/presence without the CSRF token is 403 and changes nothing; with it, 200', async (t) => {
  await setPresence(agent1, 'not_ready');
  t.teardown(() => setPresence(agent1, 'not_ready'));
  await expectError(t, await agentPost(agent1, '/desktop/presence', { presence: 'ready' }, { csrf: null }), 403, 'no token');
  await expectError(t, await agentPost(agent1, '/desktop/presence', { presence: 'ready' }, { csrf: 'forged' }), 403, 'a wrong token');
  await expectError(t, await agentPost(agent1, '/desktop/presence', { presence: 'ready' }, { csrf: agent2.csrf }), 403, "another session's token");
  t.equal(presenceShown(await desktopPage(agent1)), 'not_ready', 'the agent is still Not Ready');

  const res = await agentPost(agent1, '/desktop/presence', { presence: 'ready' });
  t.equal(res.status, 200);
  t.equal(presenceShown(await res.text()), 'ready', 'the answer shows Ready');
  t.equal(presenceShown(await desktopPage(agent1)), 'ready', 'and so does the page');
  // A plain form post (a click before htmx loaded) carries the token as _csrf instead of the header,
  // and goes back to the desktop page it came from (the form's `back`), never anywhere else.
  const plainPost = (presence: string, back: string) =>
    fetch(`${server.url}/desktop/presence`, {
      method: 'POST',
      headers: { cookie: agent1.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ presence, _csrf: agent1.csrf, back }).toString(),
      redirect: 'manual',
    });
  const form = await plainPost('not_ready', '/desktop/interactions/abc-123');
  t.equal(form.status, 303);
  t.equal(form.headers.get('location'), '/desktop/interactions/abc-123', 'back to the panel it was clicked on');
  t.equal(presenceShown(await desktopPage(agent1)), 'not_ready');
  t.equal((await plainPost('not_ready', '//evil.example/desktop')).headers.get('location'), '/desktop', 'a path elsewhere leads to the desktop');
  await expectError(t, await agentPost(agent1, '/desktop/presence', { presence: 'away' }), 400, 'an unknown presence');
});

// ---- offer, accept, chat ------------------------------------------------------------------------------

t.test('a Ready agent is offered a new chat, accepts it, and the customer reads the reply', async (t) => {
  await setPresence(agent1, 'ready');
  t.teardown(() => setPresence(agent1, 'not_ready'));
  const name = uniqueName('Olga');
  const chat = await api.createChat({ name });
  endChatAtTeardown(t, api, chat);
  await api.say(chat, 'I have a flat tyre');

  const page = await desktopPage(agent1);
  const item = listItem(page, chat.id);
  t.ok(item, 'the desktop lists the new chat');
  t.match(item, name, "with the customer's name");
  t.ok(hasAcceptButton(item ?? '', chat.id), 'and an Accept button');
  t.equal((await api.chat(chat)).state, 'offered');
  t.notOk(listItem(await desktopPage(agent2), chat.id), 'agent2 (Not Ready) is not offered it');

  const accepted = await agentPost(agent1, `/desktop/interactions/${chat.id}/accept`);
  t.equal(accepted.status, 200);
  const panel = await accepted.text();
  t.match(panel, 'I have a flat tyre', "the chat panel shows the customer's message");
  t.match(panel, /<button[^>]*>Disconnect chat<\/button>/, 'and Disconnect chat');
  t.match(panel, /<label[^>]*>Message<\/label>/);
  t.match(panel, /<button type="submit">Send<\/button>/);
  t.match(panel, /<button[^>]*class="phone"[^>]*>\+15551234567<\/button>/, "the customer's number as a control");
  t.notOk(hasAcceptButton(panel, chat.id), 'no Accept button any more');
  const customerView = await api.chat(chat);
  t.equal(customerView.state, 'active', 'the customer sees the chat active');
  t.same(customerView.agent, { name: 'Agent One' }, "with the agent's name");

  const reply = await agentSays(agent1, chat, 'Help is on the way <b>now</b>');
  t.equal(reply.status, 200);
  t.notMatch(await reply.text(), /role="alert"/, 'the composer shows no error');
  const messages = await api.messages(chat);
  t.same(
    messages.map((m) => [m.author, m.text]),
    [
      ['customer', 'I have a flat tyre'],
      ['agent', 'Help is on the way <b>now</b>'],
    ],
    "the customer reads the agent's message, authored agent, text as typed",
  );

  const tooLong = await agentSays(agent1, chat, 'x'.repeat(8001));
  t.match(await tooLong.text(), /role="alert"/, 'an over-long agent message is refused in the composer');
  t.equal((await api.messages(chat)).length, 2, 'and not stored');
});

t.test('another agent can neither open nor take the chat', async (t) => {
  const chat = await offeredChat(t);
  t.teardown(() => setPresence(agent1, 'not_ready'));
  t.equal((await agentGet(agent2, `/desktop/interactions/${chat.id}`)).status, 403, 'agent2: GET the offered chat is 403');
  t.equal((await agentPost(agent2, `/desktop/interactions/${chat.id}/accept`)).status, 403, 'agent2: accept is 403');
  t.equal((await api.chat(chat)).state, 'offered', 'still offered to agent1');

  t.equal((await agentPost(agent1, `/desktop/interactions/${chat.id}/accept`)).status, 200, 'agent1 accepts');
  t.equal((await agentGet(agent2, `/desktop/interactions/${chat.id}`)).status, 403, 'agent2: GET the active chat is 403');
  t.equal((await agentGet(agent2, `/desktop/interactions/${chat.id}`, { htmx: true })).status, 403, 'also as an htmx fragment');
  t.equal((await agentPost(agent2, `/desktop/interactions/${chat.id}/accept`)).status, 403, 'agent2: accept is 403');
  t.equal((await agentSays(agent2, chat, 'hijack')).status, 403, 'agent2: writing is 403');
  t.equal((await agentPost(agent2, `/desktop/interactions/${chat.id}/disconnect`)).status, 403, 'agent2: disconnect is 403');
  t.equal((await agentGet(agent2, `/desktop/history/${chat.id}`)).status, 403, 'agent2: its timeline is 403');
  // A page of agent2's that still shows the chat (it was theirs before the socket came back) and asks
  // for its timeline gets the panel replaced by why, not the chat.
  const socket = await openDesktopSocket(agent2);
  t.teardown(() => socket.close());
  socket.send({ type: 'sync', interaction: chat.id, after: 0 });
  const refused = await socket.waitFor((f) => f.includes(`id="interaction-${chat.id}"`), 'the panel replaced');
  t.match(refused, /hx-swap-oob="true"/);
  t.notMatch(refused, /composer|Message/, 'no control of the chat in it');
  t.equal((await agentGet(agent1, `/desktop/interactions/${chat.id}`)).status, 200, 'agent1 opens it');
  const chatNow = await api.chat(chat);
  t.equal(chatNow.state, 'active');
  t.same(chatNow.agent, { name: 'Agent One' }, 'agent1 still has it');
  t.same(await api.messages(chat), [], 'nothing was written in it');
});

t.test("what the customer typed is escaped in the agent's HTML", async (t) => {
  const name = '<script>alert(1)</script>';
  const text = '<script>alert(2)</script><img src=x onerror=alert(3)>';
  const context = { fields: { '<i>plate</i>': '<script>alert(4)</script>', note: '"><svg onload=alert(5)>' } };
  await setPresence(agent1, 'ready');
  t.teardown(() => setPresence(agent1, 'not_ready'));
  const chat = await api.createChat({ name, context });
  endChatAtTeardown(t, api, chat);
  await api.say(chat, text);

  const raw = [/<script>alert/, /<img src=x/, /<svg onload/, /<i>plate<\/i>/];
  const checkEscaped = (where: string, html: string, expected: string[]) => {
    for (const pattern of raw) t.notMatch(html, pattern, `${where}: no raw ${pattern.source}`);
    for (const e of expected) t.ok(html.includes(e), `${where}: shows ${e}`);
  };
  const escapedName = '&lt;script&gt;alert(1)&lt;/script&gt;';
  checkEscaped('the offer in the list', await desktopPage(agent1), [escapedName]);

  const accepted = await agentPost(agent1, `/desktop/interactions/${chat.id}/accept`);
  t.equal(accepted.status, 200);
  const escapedText = '&lt;script&gt;alert(2)&lt;/script&gt;&lt;img src=x onerror=alert(3)&gt;';
  const escapedContext = ['&lt;i&gt;plate&lt;/i&gt;', '&lt;script&gt;alert(4)&lt;/script&gt;', '&gt;&lt;svg onload=alert(5)&gt;'];
  checkEscaped('the accept answer', await accepted.text(), [escapedName, escapedText, ...escapedContext]);
  const page = await agentGet(agent1, `/desktop/interactions/${chat.id}`);
  t.equal(page.status, 200);
  checkEscaped('the chat page', await page.text(), [escapedName, escapedText, ...escapedContext]);

  // Live: a new message and a context update pushed over the desktop socket.
  const socket = await openDesktopSocket(agent1);
  t.teardown(() => socket.close());
  socket.send({ type: 'sync', interaction: chat.id, after: 0 });
  await socket.waitFor((f) => f.includes(`beforeend:#messages-${chat.id}`), 'the synced messages');
  const from = socket.frames.length;
  await api.say(chat, '<script>alert(6)</script>');
  await api.request('POST', `/api/v1/chats/${chat.id}/context`, { token: chat.token, json: { fields: { live: '<script>alert(7)</script>' } } });
  await socket.waitFor((f) => f.includes('alert(6)'), 'the live message', { from });
  await socket.waitFor((f) => f.includes('alert(7)'), 'the live context', { from });
  checkEscaped('the socket fragments', socket.frames.join('\n'), [escapedText, '&lt;script&gt;alert(6)&lt;/script&gt;', '&lt;script&gt;alert(7)&lt;/script&gt;']);

  t.equal((await agentPost(agent1, `/desktop/interactions/${chat.id}/disconnect`)).status, 200);
  checkEscaped('the history list', await (await agentGet(agent1, '/desktop/history')).text(), [escapedName]);
  checkEscaped('the timeline', await (await agentGet(agent1, `/desktop/history/${chat.id}`)).text(), [escapedName, escapedText, ...escapedContext]);
});

t.test('Disconnect chat ends it for the customer; history lists it with its timeline', async (t) => {
  const name = uniqueName('Hugo');
  const chat = await acceptedChat(t, { name });
  await api.say(chat, 'Where are you now?');
  t.equal((await agentSays(agent1, chat, 'Two minutes away')).status, 200);

  const res = await agentPost(agent1, `/desktop/interactions/${chat.id}/disconnect`);
  t.equal(res.status, 200);
  await res.text();
  const ended = await api.chat(chat);
  t.equal(ended.state, 'ended', 'the customer sees the chat ended');
  await expectError(t, await api.send(chat, 'hello?'), 409, 'a customer message after the disconnect', 'chat_ended');
  t.same((await api.messages(chat)).map((m) => m.text), ['Where are you now?', 'Two minutes away'], 'nothing was added');
  t.notOk(listItem(await desktopPage(agent1), chat.id), 'the chat left the desktop list');

  const history = await agentGet(agent1, '/desktop/history');
  t.equal(history.status, 200);
  const historyHtml = await history.text();
  t.match(historyHtml, new RegExp(`<a href="/desktop/history/${chat.id}">${name}</a>`), 'history links to it by customer name');
  t.notMatch(await (await agentGet(agent2, '/desktop/history')).text(), chat.id, "not in agent2's history");

  const timeline = await agentGet(agent1, `/desktop/history/${chat.id}`);
  t.equal(timeline.status, 200);
  const html = await timeline.text();
  t.match(html, name);
  t.match(html, '+15551234567');
  const order = ['Agent One accepted the chat', 'Where are you now?', 'Two minutes away', 'Chat ended by Agent One'].map((s) => html.indexOf(s));
  t.notOk(order.includes(-1), 'the timeline shows the accept, both messages and the end');
  t.same(order, [...order].sort((a, b) => a - b), 'in order');
});

// ---- live sockets ---------------------------------------------------------------------------------

t.test('the desktop socket: sessions only, HTML fragments, sync then live customer messages', async (t) => {
  t.equal(await refusedWith(openSocket(desktopSocketUrl(server.url))), 401, 'no session: 401');
  t.equal(await refusedWith(openSocket(desktopSocketUrl(server.url), { headers: { cookie: 'sid=forged' } })), 401, 'an unknown session: 401');
  t.equal(await refusedWith(openDesktopSocket(agent1, { origin: 'https://evil.example' })), 403, 'another origin: 403');

  const chat = await acceptedChat(t);
  const m1 = await api.say(chat, 'customer line one');
  const m2 = await api.say(chat, 'customer line two');

  const socket = await openDesktopSocket(agent1);
  t.teardown(() => socket.close());
  await socket.waitFor((f) => f.includes('id="presence"'), 'the presence fragment');
  await socket.waitFor((f) => f.includes('id="interaction-list"') && f.includes(chat.id), 'the interaction list with the chat');
  t.ok(socket.frames.every((f) => f.trimStart().startsWith('<')), 'every frame is HTML');

  // Anything but a sync is nothing: the server stays up (a `null` used to end the process).
  for (const junk of ['null', '42', '"sync"', '[]', 'not json']) socket.send(junk);

  const oob = `hx-swap-oob="beforeend:#messages-${chat.id}"`;
  socket.send({ type: 'sync', interaction: chat.id, after: 0 });
  const synced = await socket.waitFor((f) => f.includes(oob), 'the synced messages');
  t.match(synced, 'customer line one');
  t.match(synced, 'customer line two');
  t.equal((await fetch(`${server.url}/healthz`)).status, 200, 'the server is still up after the junk sent before the sync');

  const from = socket.frames.length;
  await api.say(chat, 'customer line three');
  const live = await socket.waitFor((f) => f.includes('customer line three'), 'the live message', { from });
  t.ok(live.includes(oob), 'the live message is an out-of-band append to the chat panel');

  // A page that already shows up to line two asks again: it gets only what came later.
  const again = socket.frames.length;
  socket.send({ type: 'sync', interaction: chat.id, after: m2.seq });
  await socket.waitFor((f) => f.includes('customer line three'), 'line three again after the resync', { from: again });
  await sleep(200);
  const all = socket.frames.filter((f) => f.includes(oob)).join('\n');
  t.equal(all.split('customer line one').length - 1, 1, 'line one was sent once');
  t.equal(all.split('customer line two').length - 1, 1, 'line two was sent once');
  t.ok(m1.seq < m2.seq);

  // Another agent's socket cannot sync this chat.
  const other = await openDesktopSocket(agent2);
  t.teardown(() => other.close());
  other.send({ type: 'sync', interaction: chat.id, after: 0 });
  await api.say(chat, 'customer line four');
  await socket.waitFor((f) => f.includes('customer line four'), 'line four on the owner socket');
  await sleep(200);
  t.notOk(other.frames.some((f) => f.includes('customer line')), "agent2's socket gets none of it");
});

t.test("the customer's socket sees the accept and the agent's message live", async (t) => {
  const chat = await offeredChat(t);
  t.teardown(() => setPresence(agent1, 'not_ready'));
  const socket = await api.openEvents(chat.id, chat.token, 0);
  t.teardown(() => socket.close());
  await socket.waitFor((f) => parseFrame(f).type === 'chat', 'the chat frame');

  t.equal((await agentPost(agent1, `/desktop/interactions/${chat.id}/accept`)).status, 200);
  const active = await socket.waitFor((f) => parseFrame(f).type === 'chat' && (parseFrame(f) as { chat: ChatJson }).chat.state === 'active', 'the chat becoming active');
  t.same((JSON.parse(active) as { chat: ChatJson }).chat.agent, { name: 'Agent One' });
  const acceptedEntry = await socket.waitFor((f) => (parseFrame(f) as { kind?: string }).kind === 'accepted', 'the accepted entry');
  t.match(JSON.parse(acceptedEntry), { type: 'timeline', kind: 'accepted', agent: { name: 'Agent One' } });

  t.equal((await agentSays(agent1, chat, 'Hello, I am Agent One')).status, 200);
  const frame = await socket.waitFor((f) => f.includes('Hello, I am Agent One'), "the agent's message");
  t.match(JSON.parse(frame), { type: 'timeline', kind: 'message', message: { author: 'agent', text: 'Hello, I am Agent One' } });

  t.equal((await agentPost(agent1, `/desktop/interactions/${chat.id}/disconnect`)).status, 200);
  await socket.waitFor((f) => parseFrame(f).type === 'chat' && (parseFrame(f) as { chat: ChatJson }).chat.state === 'ended', 'the chat ending');
});

t.test('OpenAPI documents the mobile API calls made in this file', async (t) => {
  const chat = await api.createChat();
  endChatAtTeardown(t, api, chat);
  await api.messages(chat);
  const { doc } = await fetchOpenApi(server.url);
  t.same(undocumented(doc, api.recorder, KNOWN_UNDOCUMENTED), []);
});

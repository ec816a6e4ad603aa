// deploy/haproxy.cfg, run: a real HAProxy (the sample config with test ports, test/helpers/haproxy.ts)
// in front of two real servers. Each server has its own SQLite folder here (no shared database), so a
// chat lives on the node that created it: that tells which node served a request, with no header added
// for the test. Everything listens on 127.0.0.1; every wait is bounded.
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { WebSocket, WebSocketServer } from 'ws';
import { ApiClient, type ChatHandle } from '../helpers/api-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { withServer } from '../helpers/fixtures.ts';
import { haproxyBinary, renderHaproxyConfig, SAMPLE_CONFIG, startHaproxy, type TestHaproxy } from '../helpers/haproxy.ts';
import { HandshakeRefused, openSocket, type SocketProbe } from '../helpers/socket-probe.ts';
import type { TestServer } from '../helpers/server.ts';

const run = promisify(execFile);

// The nodes run as the README's cluster section says: behind a proxy on their own machine.
const NODE_ENV = { TRUST_PROXY: 'loopback', CHATS_PER_ADDRESS_PER_HOUR: '1000' };

async function withHaproxy(t: Test, backendPorts: number[]): Promise<TestHaproxy> {
  const proxy = await startHaproxy(backendPorts);
  t.teardown(() => proxy.stop());
  return proxy;
}

/** Which of the nodes holds the chat (it answers 200 for it; the other one knows no such chat). */
async function holderOf(chat: ChatHandle, nodes: TestServer[]): Promise<number[]> {
  const holders: number[] = [];
  for (const [i, node] of nodes.entries()) {
    const res = await fetch(`${node.url}/api/v1/chats/${chat.id}`, { headers: { authorization: `Bearer ${chat.token}` } });
    await res.body?.cancel();
    if (res.status === 200) holders.push(i);
  }
  return holders;
}

async function bothUp(proxy: TestHaproxy, names: string[]): Promise<void> {
  await eventually(
    `HAProxy to see ${names.join(', ')} UP`,
    async () => {
      const servers = await proxy.servers();
      return names.every((n) => servers[n]?.status === 'UP') ? true : undefined;
    },
    10_000,
  );
}

t.test('the sample config is valid, and the test config differs from it only in addresses', async (t) => {
  const sample = await readFile(SAMPLE_CONFIG, 'utf8');
  const rendered = renderHaproxyConfig(sample, { listenPort: 18080, statsPort: 18404, backendPorts: [13001, 13002, 13003] });
  const dir = t.testdir();
  const file = join(dir, 'rendered.cfg');
  await writeFile(file, rendered);
  for (const cfg of [SAMPLE_CONFIG, file]) {
    const { stdout, stderr } = await run(haproxyBinary(), ['-c', '-f', cfg]);
    t.match(stdout + stderr, /Configuration file is valid/, `haproxy -c accepts ${cfg === file ? 'the rendered config' : 'deploy/haproxy.cfg'}`);
  }
  const changed = (text: string) => text.split('\n').filter((l) => /^\s+(bind|server)\s/.test(l));
  const others = (text: string) => text.split('\n').filter((l) => !/^\s+(bind|server)\s/.test(l));
  t.same(others(rendered), others(sample), 'every other line is the sample as it is');
  t.same(changed(rendered), [
    '    bind 127.0.0.1:18080',
    '    server node1 127.0.0.1:13001',
    '    server node2 127.0.0.1:13002',
    '    server node3 127.0.0.1:13003',
    '    bind 127.0.0.1:18404',
  ]);
});

t.test('the nodes see the client as HAProxy saw it, and /sip keeps its subprotocol', async (t) => {
  // A stand-in node that shows the headers it got and accepts WebSocket subprotocol `sip`.
  const seen: IncomingMessage['headers'][] = [];
  const echo = createServer((req, res) => {
    if (req.url !== '/healthz') seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.headers));
  });
  const wss = new WebSocketServer({ server: echo, handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false) });
  wss.on('connection', (ws, req) => {
    seen.push(req.headers);
    ws.on('message', (data) => ws.send(`echo ${String(data)}`));
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => (wss.close(), echo.closeAllConnections(), echo.close(() => resolve()))));
  const proxy = await withHaproxy(t, [(echo.address() as { port: number }).port]);
  await bothUp(proxy, ['node1']);

  // A client claiming other addresses (documentation addresses: only header text, no traffic).
  const res = await fetch(`${proxy.url}/whoami`, { headers: { 'x-forwarded-for': '192.0.2.7', 'x-real-ip': '192.0.2.8', 'x-forwarded-proto': 'https' } });
  const headers = (await res.json()) as Record<string, string>;
  t.equal(headers['x-forwarded-for'], '127.0.0.1', 'X-Forwarded-For: only the address HAProxy saw');
  t.equal(headers['x-real-ip'], '127.0.0.1', 'X-Real-IP: the same');
  t.equal(headers['x-forwarded-proto'], 'http', 'X-Forwarded-Proto: how the client really came');

  const ws = new WebSocket(`${proxy.url.replace('http:', 'ws:')}/sip`, 'sip');
  t.teardown(() => ws.terminate());
  await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
  t.equal(ws.protocol, 'sip', 'the node chose subprotocol sip through HAProxy');
  const reply = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
  ws.send('OPTIONS sip:probe SIP/2.0');
  t.equal(await reply, 'echo OPTIONS sip:probe SIP/2.0', 'frames pass both ways');
  t.match(seen.at(-1), { upgrade: 'websocket', 'sec-websocket-protocol': 'sip', 'x-forwarded-for': '127.0.0.1' });
});

t.test("a customer's token, in the events socket's URL, does not reach HAProxy's log", async (t) => {
  const node = await withServer(t, { env: NODE_ENV });
  const proxy = await withHaproxy(t, [node.port]);
  await bothUp(proxy, ['node1']);
  const api = new ApiClient(proxy.url);
  const chat = await api.createChat();
  const socket = await openSocket(api.eventsUrl(chat.id, chat.token));
  socket.close();
  const path = `/api/v1/chats/${chat.id}/events`;
  // A WebSocket is logged as it ends.
  await eventually('the socket in the log', async () => (proxy.logs().includes(path) ? true : undefined), 10_000);
  t.match(proxy.logs(), new RegExp(`"GET ${path} HTTP/1\\.1"`), 'logged with its method and path');
  t.notOk(proxy.logs().includes(chat.token), 'without the token');
});

t.test('two real nodes behind HAProxy: spread, WebSockets, and a killed node taken out', async (t) => {
  const nodes = [await withServer(t, { env: NODE_ENV }), await withServer(t, { env: NODE_ENV })];
  const proxy = await withHaproxy(t, nodes.map((n) => n.port));
  await bothUp(proxy, ['node1', 'node2']);
  const api = new ApiClient(proxy.url);

  // Round robin: chats started through HAProxy land on both nodes, in turn.
  const chats: ChatHandle[] = [];
  for (let i = 0; i < 8; i++) chats.push(await api.createChat());
  const holders = await Promise.all(chats.map((c) => holderOf(c, nodes)));
  t.ok(holders.every((h) => h.length === 1), 'each chat is on exactly one node');
  const perNode = [0, 1].map((n) => holders.filter((h) => h[0] === n).length);
  // Four each while both stay up; a health check that times out on a very busy machine may skew it.
  t.ok(perNode.every((n) => n >= 2), `eight chats spread over both nodes: ${perNode.join(' and ')}`);
  const servers = await proxy.servers();
  t.ok(servers.node1!.sessions >= 2 && servers.node2!.sessions >= 2, `HAProxy counted sessions on both: ${JSON.stringify(servers)}`);

  // WebSocket: the customer's events socket through HAProxy. Only the chat's own node accepts it (the
  // other answers 404), and round robin alternates, so one of two tries reaches it.
  const chat = chats[0]!;
  const home = nodes[holders[0]![0]!]!;
  let socket: SocketProbe | undefined;
  const refusals: number[] = [];
  for (let attempt = 0; attempt < 4 && !socket; attempt++) {
    try {
      socket = await openSocket(api.eventsUrl(chat.id, chat.token));
    } catch (err) {
      if (!(err instanceof HandshakeRefused)) throw err;
      refusals.push(err.status);
    }
  }
  t.ok(socket, `the events socket opened through HAProxy (refused before by the other node: ${refusals.join(', ') || 'none'})`);
  t.ok(refusals.length <= 1, 'within two tries');
  t.teardown(() => socket?.close());
  socket!.send({ type: 'message', text: 'Sent through the proxy', client_id: 'via-haproxy' });
  const ack = JSON.parse(await socket!.waitFor((f) => JSON.parse(f).type === 'ack', 'the ack of the socket message', { timeoutMs: 5000 })) as {
    message: { id: string };
  };
  const onHome = await new ApiClient(home.url).messages(chat);
  t.ok(onHome.some((m) => m.id === ack.message.id && m.text === 'Sent through the proxy'), 'stored on the chat’s node, acknowledged over the socket');
  // Asked directly on its node, a message comes back over the socket held through HAProxy.
  const direct = await new ApiClient(home.url).say(chat, 'Sent to the node directly');
  await socket!.waitFor((f) => f.includes(direct.id), 'the directly sent message on the proxied socket', { timeoutMs: 5000 });
  t.pass('a message written on the node reaches the socket held through HAProxy');

  // A node killed outright: HAProxy's check takes it out, and requests keep succeeding. The requests
  // alternate a read (GET) and a write (POST, a new chat), one at a time, as one client would.
  const victim = nodes[1]!;
  let startedAt = Date.now();
  const outcomes: Array<{ at: number; ok: boolean; detail: string }> = [];
  const request = async () => {
    const post = outcomes.length % 2 === 0;
    const signal = AbortSignal.timeout(3000);
    try {
      const res = post
        ? await fetch(`${proxy.url}/api/v1/chats`, { method: 'POST', signal, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ service: 'roadside', name: 'After', phone: '+15551234567' }) })
        : await fetch(`${proxy.url}/api/v1/openapi.json`, { signal });
      await res.body?.cancel();
      outcomes.push({ at: Date.now() - startedAt, ok: res.status === (post ? 201 : 200), detail: `${post ? 'POST' : 'GET'} ${res.status}` });
    } catch (err) {
      outcomes.push({ at: Date.now() - startedAt, ok: false, detail: `${post ? 'POST' : 'GET'} ${(err as Error).message}: ${String((err as Error).cause)}` });
    }
  };
  for (let i = 0; i < 6; i++) await request();
  t.same(outcomes.filter((o) => !o.ok), [], 'before the kill: every request succeeds');
  outcomes.length = 0;
  startedAt = Date.now();
  process.kill(victim.pid, 'SIGKILL');
  const downAfterMs = await eventually(
    'HAProxy to mark node2 DOWN',
    async () => {
      await request();
      return (await proxy.servers()).node2?.status === 'DOWN' ? Date.now() - startedAt : undefined;
    },
    10_000,
  );
  t.comment(`node2 marked DOWN ${downAfterMs} ms after SIGKILL (checks every 2 s, out after 2 failures)`);
  const failed = outcomes.filter((o) => !o.ok);
  t.comment(`while node2 was going down: ${outcomes.length} requests, ${failed.length} failed ${JSON.stringify(failed)}`);
  t.ok(outcomes.length >= 5, 'requests went on while the check was finding out');
  t.same(failed.filter((o) => o.detail.startsWith('GET')), [], 'every GET succeeded: refused or unanswered, it was sent to node1');
  // A POST that node2 had already taken in (the kernel accepts connections for a process it is still
  // tearing down), or one still waiting to be retried on node2 when the check marked it DOWN (its
  // sessions are shut then), may have been done there: HAProxy does not send it again but closes the
  // client's connection, the HTTP signal to resend it if the client knows it may (messages carry client_id).
  t.ok(failed.every((o) => o.detail.includes('other side closed')), 'only POSTs in flight to node2 while it was going down failed, as a closed connection');
  outcomes.length = 0;
  for (let i = 0; i < 6; i++) await request();
  t.same(outcomes.filter((o) => !o.ok), [], 'once node2 is DOWN, every request succeeds');

  // Afterwards everything goes to the node that is up: writes too.
  for (let i = 0; i < 10; i++) {
    const after = await api.createChat();
    t.same(await holderOf(after, [nodes[0]!]), [0], `chat ${i + 1} after the kill is on node1`);
  }
  t.equal((await proxy.servers()).node1?.status, 'UP');
});

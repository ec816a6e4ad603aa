// Two real nodes on one PostgreSQL: the customer on node A, the agent on node B, live both ways; the
// agent's session works on either node; kill -9 of the leader: the other node leads (bench:failover times it),
// Ready agents stay Ready, and chats go on. Then a follower killed mid-send, sessions ended everywhere,
// limits across nodes, and an SMS through a follower's webhook.
import { createHmac, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import t from 'tap';
import { ApiClient, timelineFrames, uniqueName } from '../helpers/api-client.ts';
import { clusterHealth, untilRole, withCluster } from '../helpers/cluster.ts';
import { agentGet, agentPost, desktopSocketUrl, setPresence } from '../helpers/desktop-client.ts';
import { eventually, sleep } from '../helpers/eventually.ts';
import { login } from '../helpers/fixtures.ts';
import { openSocket } from '../helpers/socket-probe.ts';

t.test('customer on one node, agent on another; the leader killed, the other leads', async (t) => {
  const cluster = await withCluster(t);
  const a = await cluster.startNode('node-a');
  await untilRole(a, 'leader');
  const b = await cluster.startNode('node-b');
  // A node joins the registry right after it listens.
  await eventually('both nodes in the registry', async () => ((await clusterHealth(a)).nodes === 2 ? true : undefined));
  t.same(await clusterHealth(a), { state: 'up', node: 'node-a', role: 'leader', nodes: 2 });
  t.same(await clusterHealth(b), { state: 'up', node: 'node-b', role: 'follower', nodes: 2 });

  // Logged in on A, the session works on B: no sticky sessions.
  const agent = { ...(await login(a, 'agent1')), baseUrl: b.url };
  await setPresence(agent, 'ready');
  const customer = new ApiClient(a.url);
  const chat = await customer.createChat({ name: uniqueName('Rosa') });
  await eventually('the offer to agent1', async () => ((await customer.chat(chat)).state === 'offered' ? true : undefined));
  const desk = await openSocket(desktopSocketUrl(b.url), { headers: { cookie: agent.cookie, origin: b.url } });
  t.teardown(() => desk.close());
  t.equal((await agentPost(agent, `/desktop/interactions/${chat.id}/accept`)).status, 200, 'accepted on the follower');
  // The panel's feed, as the page asks for it.
  desk.send({ type: 'sync', interaction: chat.id, after: 0 });
  const events = await customer.openEvents(chat.id, chat.token);
  t.teardown(() => events.close());

  await customer.say(chat, 'my car broke down', 'c-1');
  await desk.waitFor((f) => f.includes('my car broke down'), 'the customer message on B');
  t.equal((await agentPost(agent, `/desktop/interactions/${chat.id}/messages`, { text: 'help is on its way' })).status, 200);
  await events.waitFor((f) => f.includes('help is on its way'), 'the agent reply on A');

  // kill -9 of the leader.
  const killedAt = Date.now();
  process.kill(a.pid, 'SIGKILL');
  await untilRole(b, 'leader', 30_000);
  const takeoverMs = Date.now() - killedAt;
  t.comment(`failover: node-b leads ${takeoverMs} ms after kill -9 of node-a`);
  t.pass('the other node leads (how fast is bench:failover\'s to print, not a test\'s to assert)');
  t.equal((await clusterHealth(b)).role, 'leader');

  // The chat goes on through B; agent1 is still Ready and gets the next chat.
  customer.baseUrl = b.url;
  await customer.say(chat, 'are you still there?', 'c-2');
  await desk.waitFor((f) => f.includes('are you still there?'), 'a message after the failover');
  const next = await customer.createChat({ name: uniqueName('Nina') });
  await eventually('the next chat offered to agent1, still Ready', async () => ((await customer.chat(next)).state === 'offered' ? true : undefined), 5000);
  const messages = await customer.messages(chat);
  t.same(messages.map((m) => m.text), ['my car broke down', 'help is on its way', 'are you still there?'], 'every message once, in order');
  const seqs = timelineFrames(events.frames).map((f) => f.seq);
  t.same(seqs, [...new Set(seqs)].sort((x, y) => x - y), 'the customer socket saw no duplicate and no reordering');
});

t.test('kill -9 of a follower while a customer sends through it: nothing acknowledged is lost', async (t) => {
  const cluster = await withCluster(t);
  const a = await cluster.startNode('node-a');
  await untilRole(a, 'leader');
  const b = await cluster.startNode('node-b');
  await untilRole(b, 'follower');

  const viaB = new ApiClient(b.url);
  const viaA = new ApiClient(a.url);
  const chat = await viaB.createChat({ name: uniqueName('Sam') });
  const first = await viaB.openEvents(chat.id, chat.token);
  const acknowledged = new Map<string, string>();
  let bAlive = true;
  // The app's rule: a send that failed is sent again, with the same client id, to whichever node answers.
  const send = async (clientId: string) => {
    for (const client of bAlive ? [viaB, viaA] : [viaA]) {
      try {
        const res = await client.send(chat, `message ${clientId}`, clientId);
        if (res.status === 201) return acknowledged.set(clientId, ((await res.json()) as { id: string }).id);
        if (res.status !== 503) throw new Error(`unexpected ${res.status}: ${await res.text()}`);
      } catch (err) {
        if (client === viaA) throw err;
      }
    }
    throw new Error(`${clientId} was not acknowledged`);
  };
  const ids = Array.from({ length: 60 }, (_, i) => `m-${i + 1}`);
  for (const [i, id] of ids.entries()) {
    if (i === 25) {
      process.kill(b.pid, 'SIGKILL');
      bAlive = false;
    }
    // Two in flight at a time, so the kill lands on a send under way.
    if (i % 2 === 0) await Promise.all([send(id), ids[i + 1] ? send(ids[i + 1]!) : undefined]);
  }
  t.equal(acknowledged.size, 60, 'every send was acknowledged by one node or the other');

  // The customer's socket died with B: it reconnects to A after the last seq it saw, and catches up.
  const seen = timelineFrames(first.frames).map((f) => f.seq);
  const again = await viaA.openEvents(chat.id, chat.token, seen.at(-1) ?? 0);
  t.teardown(() => again.close());
  const stored = await viaA.messages(chat);
  await again.waitFor(() => timelineFrames(again.frames).some((f) => f.seq === stored.at(-1)!.seq), 'the last message on the new socket', { timeoutMs: 5000 });
  const all = [...seen, ...timelineFrames(again.frames).map((f) => f.seq)];
  t.same(all, [...new Set(all)].sort((x, y) => x - y), 'across both sockets: no duplicate, in order');
  // Two in flight at a time: each pair may land either way round.
  t.same(stored.map((m) => m.client_id).sort(), [...ids].sort(), 'every message once');
  t.same(stored.map((m) => m.seq), stored.map((_, i) => stored[0]!.seq + i), 'gap-free seqs');
  for (const m of stored) t.equal(acknowledged.get(m.client_id!), m.id, `${m.client_id}: the acknowledged message is the stored one`);
  const messageSeqs = new Set(stored.map((m) => m.seq));
  t.same(all.filter((s) => messageSeqs.has(s)), stored.map((m) => m.seq), 'the customer saw every message, across the reconnect');
});

t.test("a disabled agent's sessions end on every node; abuse limits count across nodes", async (t) => {
  const cluster = await withCluster(t);
  const env = { CHATS_PER_ADDRESS_PER_HOUR: '3' };
  const a = await cluster.startNode('node-a', env);
  await untilRole(a, 'leader');
  const b = await cluster.startNode('node-b', env);
  await untilRole(b, 'follower');

  const agent2 = await login(b, 'agent2');
  const closes: Promise<number>[] = [];
  for (const node of [a, b]) {
    const socket = await openSocket(desktopSocketUrl(node.url), { headers: { cookie: agent2.cookie, origin: node.url } });
    t.teardown(() => socket.close());
    closes.push(new Promise<number>((resolve) => socket.ws.once('close', (code) => resolve(code))));
  }
  const admin = await login(b, 'agent1');
  t.equal((await agentPost(admin, '/admin/agents/agent2/disable')).status, 200, 'disabled through the follower');
  t.same(await Promise.all(closes), [4401, 4401], "agent2's desktop sockets closed on both nodes");
  for (const node of [a, b]) {
    const res = await fetch(`${node.url}/desktop`, { headers: { cookie: agent2.cookie }, redirect: 'manual' });
    t.equal(res.status, 303, `${node.url}: the session is gone`);
  }

  const chats = [new ApiClient(a.url), new ApiClient(b.url), new ApiClient(a.url)];
  for (const api of chats) await api.createChat({ name: uniqueName('Limit') });
  const refused = await new ApiClient(b.url).request('POST', '/api/v1/chats', { json: { service: 'roadside', name: 'Four', phone: '+4915112345678' } });
  t.equal(refused.status, 429, 'the fourth chat from one address is refused, whichever node counts it');
  t.match(refused.headers.get('retry-after'), /^\d+$/, 'with Retry-After in whole seconds');
});

t.test("an SMS received by a follower's webhook becomes a chat; the agent's reply goes to the gateway once", async (t) => {
  const sent: Array<{ to: string; text: string }> = [];
  const gateway = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      sent.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { to: string; text: string });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'queued' }));
    });
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => gateway.close(() => resolve())));
  const secret = `sms-${randomUUID()}`;
  const env = { SMS_WEBHOOK_SECRET: secret, SMS_GATEWAY_URL: `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/send`, SMS_NUMBERS: '+15550009000=roadside' };
  const cluster = await withCluster(t);
  const a = await cluster.startNode('node-a', env);
  await untilRole(a, 'leader');
  const b = await cluster.startNode('node-b', env);
  await untilRole(b, 'follower');
  const db = new pg.Client({ connectionString: cluster.databaseUrl });
  await db.connect();
  t.teardown(() => db.end());

  const agent = await login(b, 'agent1');
  await setPresence(agent, 'ready');
  const raw = JSON.stringify({ id: randomUUID(), from: '+15557654321', to: '+15550009000', text: 'My tyre is flat' });
  const inbound = await fetch(`${b.url}/api/v1/sms/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}` },
    body: raw,
  });
  t.equal(inbound.status, 200, 'the follower took the text');
  const chatId = await eventually('the SMS chat offered', async () => (await db.query<{ id: string }>("SELECT id FROM interactions WHERE channel = 'sms' AND state = 'offered'")).rows[0]?.id);
  t.equal((await agentPost(agent, `/desktop/interactions/${chatId}/accept`)).status, 200);
  t.equal((await agentPost({ ...agent, baseUrl: a.url }, `/desktop/interactions/${chatId}/messages`, { text: 'A van is coming.' })).status, 200);
  await eventually('the reply at the gateway', () => (sent.length > 0 ? true : undefined), 5000);
  await sleep(1500);
  t.same(sent.map((s) => [s.to, s.text]), [['+15557654321', 'A van is coming.']], 'sent once, by the leader only');
});

// The follower hears of each new agent's presence by NOTIFY a moment after the login stored it; a
// desktop drawn there before that used to answer 404 (no such agent). The window is too short to hit
// on purpose here: this checks the desktop right after a login on the other node.
t.test('the desktop a login opens is drawn by the other node at once, Not Ready', async (t) => {
  const cluster = await withCluster(t);
  const a = await cluster.startNode('node-a');
  await untilRole(a, 'leader');
  const b = await cluster.startNode('node-b');
  await untilRole(b, 'follower');
  // Agents that never logged in: the follower hears of each one's presence by NOTIFY after its login.
  for (const name of ['agent1', 'agent2', 'supervisor1']) {
    const agent = { ...(await login(a, name)), baseUrl: b.url };
    const page = await agentGet(agent, '/desktop');
    const html = await page.text();
    t.equal(page.status, 200, `${name}: the desktop on the other node at once`);
    t.match(html, /<button[^>]*>Ready<\/button>/, `${name}: with Ready`);
  }
});

// A follower forwards the web layer's commands to the leader over the internal link; the rules run on
// the leader and their typed errors come back, so the follower answers the same HTTP status and error
// code as the leader would. Real PostgreSQL (registry, secret), real HTTP servers and WebSockets, the
// real mobile API router and error mapping; the rules run on the in-memory ports of the unit tests
// (what is claimed here is the link, not the store).
import { createServer, type Server } from 'node:http';
import express from 'express';
import pg from 'pg';
import pino from 'pino';
import t from 'tap';
import { WebSocket } from 'ws';
import { FormError } from '../../src/domain/errors.ts';
import { ContactCenter } from '../../src/domain/contact-center.ts';
import { DomainEvents } from '../../src/domain/events.ts';
import { Interactions } from '../../src/domain/interactions.ts';
import { MultimediaDesk } from '../../src/domain/multimedia.ts';
import { ensureClusterSchema } from '../../src/store/postgres/cluster/schema.ts';
import { NodeRegistry } from '../../src/store/postgres/cluster/node-registry.ts';
import { forwarded } from '../../src/web/cluster/forwarding.ts';
import { LinkClient } from '../../src/web/cluster/link-client.ts';
import { CLUSTER_LINK_PATH, LinkServer, SECRET_HEADER } from '../../src/web/cluster/link-server.ts';
import { decode, encode, fromWireError, toWireError } from '../../src/web/cluster/wire.ts';
import { errorHandler } from '../../src/web/http-errors.ts';
import { mobileApiRouter } from '../../src/web/mobile-api/routes.ts';
import { RateLimits } from '../../src/web/rate-limits.ts';
import { loadConfig } from '../../src/config.ts';
import { makeCenter, SERVICES } from '../helpers/fakes.ts';
import { MemoryAttachmentStore } from '../helpers/fake-ports.ts';
import { startPostgres } from '../helpers/postgres.ts';

const logger = pino({ level: 'silent' });

function apiServer(center: ContactCenter, desk: MultimediaDesk, upgrade?: LinkServer): Promise<{ server: Server; url: string }> {
  const app = express();
  app.use(express.json());
  // No ratings here: this server forwards chats, it never ends one.
  app.use('/api/v1', mobileApiRouter(center, desk, null, new RateLimits(loadConfig({}).rateLimits), { ratingOf: async () => undefined }));
  app.use(errorHandler(logger));
  const server = createServer(app);
  if (upgrade) server.on('upgrade', (req, socket, head) => upgrade.upgrade(req, socket, head));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` })));
}

async function post(url: string, path: string, body: unknown, token?: string) {
  const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { id?: string; token?: string; error?: { code: string; message: string } } };
}

t.test('the wire keeps typed errors, form fields, sets and bytes', async (t) => {
  const form = fromWireError(decode(encode(toWireError(new FormError({ username: 'Taken.' }, 'conflict')))) as never);
  t.ok(form instanceof FormError);
  t.same((form as FormError).fields, { username: 'Taken.' });
  t.equal((form as FormError).kind, 'conflict');
  const value = decode(encode({ ids: new Set(['a', 'b']), bytes: new Uint8Array([1, 2, 255]) })) as { ids: Set<string>; bytes: Buffer };
  t.same([...value.ids], ['a', 'b']);
  t.same([...value.bytes], [1, 2, 255]);
  t.same(toWireError(new Error('secret detail')), { kind: 'internal', message: 'the command failed on the leader' }, 'unexpected errors keep their details on the leader');
});

t.test("a follower answers the leader's rules: same status, same code", async (t) => {
  const postgres = await startPostgres();
  t.teardown(() => postgres.stop());
  const pool = new pg.Pool({ connectionString: await postgres.newDatabase() });
  t.teardown(() => pool.end());
  await ensureClusterSchema(pool);

  // The leader: the rules, its API, the link's server end.
  const leaderRules = await makeCenter({ services: [...SERVICES, { id: 'closed', name: 'Closed desk', autoDial: false, disabled: true }] });
  const leaderRegistry = new NodeRegistry(pool, 'node-a');
  const secret = await leaderRegistry.secret();
  const link = new LinkServer({ targets: { center: leaderRules.center, multimedia: leaderRules.desk }, secret, isLeader: () => true, logger });
  const leader = await apiServer(leaderRules.center, leaderRules.desk, link);
  t.teardown(() => leader.server.close());
  const registryA = new NodeRegistry(pool, 'node-a');
  await registryA.join(leader.url, 60_000, (err) => t.fail(String(err)));
  await registryA.claimLeadership();

  // The follower: the same objects over the same storage, not started; commands go over the link.
  const registryB = new NodeRegistry(pool, 'node-b');
  t.equal(await registryB.secret(), secret, 'every node reads the one secret');
  const events = new DomainEvents((err) => t.fail(String(err)));
  const interactions = new Interactions({ store: leaderRules.store, events, clock: leaderRules.clock });
  const desk = new MultimediaDesk({ interactions, directory: leaderRules.directory, telephony: null, video: null, clock: leaderRules.clock });
  const center = new ContactCenter({ interactions, media: desk, store: leaderRules.store, directory: leaderRules.directory, attachments: new MemoryAttachmentStore(), events, clock: leaderRules.clock, timers: leaderRules.clock, config: leaderRules.config });
  const client = new LinkClient({ leaderUrl: async () => (await registryB.leader())?.internalUrl, secret, logger, waitMs: 800 });
  client.start();
  t.teardown(() => client.stop());
  const settled: string[] = [];
  const forwarding = { role: () => 'follower' as const, promoted: new Promise<void>(() => undefined), link: client, logger, settle: async (target: string, method: string) => void settled.push(`${target}.${method}`) };
  const centerOnFollower = forwarded('center', center, forwarding);
  const follower = await apiServer(centerOnFollower, forwarded('multimedia', desk, forwarding));
  t.teardown(() => follower.server.close());

  for (const [what, body] of [
    ['an unknown service', { service: 'nope', name: 'Rosa', phone: '+4915112345678' }],
    ['a disabled service', { service: 'closed', name: 'Rosa', phone: '+4915112345678' }],
    ['a bad phone (checked by the rules)', { service: 'roadside', name: 'Rosa', phone: '12' }],
  ] as const) {
    const onLeader = await post(leader.url, '/api/v1/chats', body);
    const onFollower = await post(follower.url, '/api/v1/chats', body);
    t.ok(onLeader.status >= 400, `${what}: the leader refuses (${onLeader.status} ${onLeader.body.error?.code})`);
    t.same(onFollower, onLeader, `${what}: the follower answers the same`);
  }

  const chat = await post(follower.url, '/api/v1/chats', { service: 'roadside', name: 'Rosa', phone: '+4915112345678' });
  t.equal(chat.status, 201, 'a chat started through the follower');
  t.ok(leaderRules.interactions.get(chat.body.id!), 'it lives on the leader');
  t.same(settled, ['center.startChat'], 'the follower read it back before answering');
  t.equal((await post(follower.url, `/api/v1/chats/${chat.body.id}/messages`, { text: 'hello', client_id: 'c1' }, chat.body.token)).status, 201);
  t.equal(leaderRules.interactions.get(chat.body.id!)!.lastSeq, 1);
  // No client_id: the link carries the missing argument as null, which is no client id either.
  t.equal((await post(follower.url, `/api/v1/chats/${chat.body.id}/messages`, { text: 'no id' }, chat.body.token)).status, 201, 'a send without a client_id too');

  // An agent's reply sent twice with its composer's client id (its answer was lost) is stored once.
  leaderRules.center.setPresence('alice', 'make_ready');
  await leaderRules.center.accept('alice', chat.body.id!);
  const reply = await centerOnFollower.postAgentMessage('alice', chat.body.id!, 'On my way', 'composer-1');
  const resent = await centerOnFollower.postAgentMessage('alice', chat.body.id!, 'On my way', 'composer-1');
  t.equal(resent.seq, reply.seq, 'the resent reply through the follower gets the first one back');
  await leaderRules.store.settled();
  t.equal(leaderRules.store.entriesOf(chat.body.id!).filter((e) => e.text === 'On my way').length, 1, 'one reply stored');

  // The chat ends on the leader; the follower's stale copy still thinks it open, the leader's rules refuse.
  await leaderRules.center.endByCustomer(chat.body.id!);
  const late = { text: 'still there?' };
  const onFollower = await post(follower.url, `/api/v1/chats/${chat.body.id}/messages`, late, chat.body.token);
  const onLeader = await post(leader.url, `/api/v1/chats/${chat.body.id}/messages`, late, chat.body.token);
  t.equal(onLeader.status, 409);
  t.same(onFollower, onLeader, 'an ended chat: the same 409 from either node');

  // Nobody but a node holding the secret opens the link, and only the leader serves it.
  const refused = (headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(new URL(CLUSTER_LINK_PATH, leader.url.replace('http', 'ws')), { headers });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
  t.equal(await refused({}), 401, 'no secret: refused');
  t.equal(await refused({ [SECRET_HEADER]: `${secret}x` }), 401, 'a wrong secret: refused');

  // No leader reachable: a clear 503 the client may retry, not a hang.
  link.close();
  leader.server.close();
  leader.server.closeAllConnections();
  await registryA.leave();
  const gone = await post(follower.url, '/api/v1/chats', { service: 'roadside', name: 'Rosa', phone: '+4915112345678' });
  t.equal(gone.status, 503);
  t.equal(gone.body.error?.code, 'leader_unavailable');
  t.equal(gone.retryAfter, '1');
});

// The operations endpoints against the real server: /healthz and /metrics (Prometheus text counting
// chats, messages and sockets), and the OpenAPI document covering the mobile API calls this file made.
// One server for the whole file; no agent is ever Ready on it, so chats stay queued.
import t from 'tap';
import { withAsterisk } from '../helpers/asterisk.ts';
import { ApiClient } from '../helpers/api-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { withServer } from '../helpers/fixtures.ts';
import { metric, metricsText } from '../helpers/metrics.ts';
import { fetchOpenApi, KNOWN_UNDOCUMENTED, undocumented } from '../helpers/openapi-check.ts';

const server = await withServer(t);
const api = new ApiClient(server.url);

// ---- operations endpoints -----------------------------------------------------------------------

t.test('/healthz answers JSON with the database up', async (t) => {
  const res = await fetch(`${server.url}/healthz`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /application\/json/);
  const body = (await res.json()) as { database?: { state?: string }; cluster?: { node?: unknown; role?: string; nodes?: number } };
  t.equal(body.database?.state, 'up');
  t.match(body.cluster, { node: String, role: 'leader', nodes: 1 }, 'one node on SQLite: its own leader, the cluster of one the contract describes');
});

t.test('/healthz: an Asterisk gone degrades the body, not the status a load balancer reads', async (t) => {
  // One Asterisk serves every node of a cluster: were its loss a 503, HAProxy would take them all out.
  const { asterisk, env } = await withAsterisk(t);
  const node = await withServer(t, { env });
  const health = async () => {
    const res = await fetch(`${node.url}/healthz`);
    return { status: res.status, body: (await res.json()) as { status: string; database: { state: string }; ari: { state: string } } };
  };
  t.match(await health(), { status: 200, body: { status: 'ok', ari: { state: 'up' } } });
  await asterisk.stop();
  const away = await eventually('ARI seen down', async () => {
    const h = await health();
    return h.body.ari.state === 'up' ? undefined : h;
  }, 15_000);
  t.equal(away.status, 200, 'this node can still serve: its database is up');
  t.equal(away.body.status, 'degraded', 'the body says what is missing');
  t.equal(away.body.database.state, 'up');
});

t.test('/metrics is Prometheus text that counts chats, messages and sockets', async (t) => {
  const res = await fetch(`${server.url}/metrics`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/plain/);
  const before = await res.text();
  for (const name of ['cc_interactions', 'cc_messages_total', 'cc_websocket_clients']) {
    t.match(before, new RegExp(`^# TYPE ${name} (gauge|counter)$`, 'm'), `${name} is exposed`);
  }

  const chat = await api.createChat();
  await api.say(chat, 'counted');
  const socket = await api.openEvents(chat.id, chat.token);
  t.teardown(() => socket.close());
  const during = await metricsText(server.url);
  t.equal(metric(during, 'cc_interactions', { state: 'queued' }), metric(before, 'cc_interactions', { state: 'queued' }) + 1, 'one more queued chat');
  t.equal(
    metric(during, 'cc_messages_total', { author: 'customer', kind: 'message' }),
    metric(before, 'cc_messages_total', { author: 'customer', kind: 'message' }) + 1,
    'one more customer message',
  );
  t.equal(metric(during, 'cc_websocket_clients', { kind: 'customer' }), metric(before, 'cc_websocket_clients', { kind: 'customer' }) + 1, 'one more customer socket');
  await socket.close();
  await eventually('the socket gauge to go back down', async () =>
    metric(await metricsText(server.url), 'cc_websocket_clients', { kind: 'customer' }) === metric(before, 'cc_websocket_clients', { kind: 'customer' }) ? true : undefined,
  );
});

// ---- OpenAPI ------------------------------------------------------------------------------------

t.test('OpenAPI documents every operation and status code this file saw', async (t) => {
  // A socket of its own: the recorder must hold one whatever ran before.
  const chat = await api.createChat();
  const socket = await api.openEvents(chat.id, chat.token);
  await socket.close();
  const { status, doc } = await fetchOpenApi(server.url);
  t.equal(status, 200);
  t.ok(api.recorder.operations.has('get /chats/{id}/events'), 'the record holds the events socket');
  t.same(undocumented(doc, api.recorder, KNOWN_UNDOCUMENTED), [], 'nothing the server answered is missing from the document');
});

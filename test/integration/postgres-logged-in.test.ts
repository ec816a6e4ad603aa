// Who is logged in, in a cluster (src/store/postgres/cluster/session-store.ts): the floor on any node
// tells agents with a session from those without, whichever node they logged in on.
import pg from 'pg';
import t, { type Test } from 'tap';
import { PgSessionStore } from '../../src/store/postgres/cluster/session-store.ts';
import { ensureClusterSchema } from '../../src/store/postgres/cluster/schema.ts';
import { SessionRegistry } from '../../src/web/sessions.ts';
import { eventually } from '../helpers/eventually.ts';
import { startPostgres } from '../helpers/postgres.ts';

const postgres = await startPostgres();
t.teardown(() => postgres.stop());

// A database of its own with the cluster's tables, and the shared session store on it.
async function sessionsDb(t: Test) {
  const pool = new pg.Pool({ connectionString: await postgres.newDatabase(), max: 2 });
  t.teardown(() => pool.end());
  await ensureClusterSchema(pool);
  return { pool, shared: new PgSessionStore(pool) };
}

t.test('agents with a session not expired, from any node; a session ended or expired counts no more', async (t) => {
  const { shared } = await sessionsDb(t);
  const nodeA = new SessionRegistry(3_600_000, shared);
  const nodeB = new SessionRegistry(3_600_000, shared);

  const alice = await nodeA.create('alice');
  await nodeA.create('alice'); // a second tab
  await nodeA.create('bob');
  await shared.save({ id: 'old', agentId: 'carol', csrfToken: 'x', expiresAt: Date.now() - 1000 });
  t.same([...(await nodeB.loggedInAgents())].sort(), ['alice', 'bob'], "node B knows node A's sessions; carol's expired one does not count");

  await nodeA.destroy(alice.id);
  t.same([...(await nodeB.loggedInAgents())].sort(), ['alice', 'bob'], 'alice still has her other tab');
  await nodeA.endAgent('alice');
  t.same([...(await nodeB.loggedInAgents())], ['bob'], 'all her sessions ended: logged out');
});

t.test('expired sessions leave the table at the next login, so what the floor reads stays the size of one TTL', async (t) => {
  const { pool, shared } = await sessionsDb(t);
  for (let i = 0; i < 20; i++) await shared.save({ id: `gone-${i}`, agentId: `agent${i}`, csrfToken: 'x', expiresAt: Date.now() - 1000 });
  await new SessionRegistry(3_600_000, shared).create('alice');
  const { rows } = await pool.query<{ agent_id: string }>('SELECT agent_id FROM agent_sessions');
  t.same(rows.map((r) => r.agent_id), ['alice'], 'only the live session is left');
});

// What cluster-wiring.ts does with the change feed: sessions ended elsewhere are dropped here too.
async function hearing(t: Test, pool: pg.Pool, node: SessionRegistry) {
  const client = await pool.connect();
  const heard: string[] = [];
  client.on('notification', (n) => {
    heard.push(n.payload ?? '');
    for (const change of JSON.parse(n.payload ?? '[]') as Array<{ kind: string; agentId: string; keepHash?: string; idHash?: string }>) {
      if (change.kind === 'sessions_ended') node.endedElsewhere(change.agentId, { keep: change.keepHash });
      if (change.kind === 'session_ended') node.endedElsewhere(change.agentId, { only: change.idHash });
    }
  });
  await client.query('LISTEN mcc_changes');
  t.teardown(() => client.release());
  return heard;
}

t.test('a logout on one node ends that session on every node; no notification names a session as its cookie', async (t) => {
  const { pool, shared } = await sessionsDb(t);
  const nodeA = new SessionRegistry(3_600_000, shared);
  const nodeB = new SessionRegistry(3_600_000, shared);
  const heard = await hearing(t, pool, nodeB);
  const tab = await nodeA.create('alice');
  const other = await nodeA.create('alice');
  t.ok(await nodeB.find(tab.id), 'node B serves the session (and keeps it in memory)');
  t.ok(await nodeB.find(other.id));

  await nodeA.destroy(tab.id); // Log out, on node A
  const gone = await eventually('node B to hear of it', async () => ((await nodeB.find(tab.id)) ? undefined : true));
  t.ok(gone, 'node B no longer serves the logged-out session');
  t.ok(await nodeB.find(other.id), "alice's other tab goes on");

  await nodeA.endAgent('alice', other.id); // a password change on that tab: the others end
  // A node of the release before reads `sessions_ended` (all of the agent's but a raw `keep`) and knows
  // no `session_ended`: a logout here must not end the agent's other sessions there.
  const kindsHeard = () => heard.flatMap((payload) => (JSON.parse(payload) as Array<{ kind: string; keep?: unknown }>).map((c) => `${c.kind}${'keep' in c ? ' keep' : ''}`));
  // The second notification travels on its own: heard a moment after endAgent() resolves.
  const kinds = await eventually('both notifications heard', async () => (kindsHeard().length >= 2 ? kindsHeard() : undefined));
  t.notOk(heard.some((payload) => payload.includes(tab.id) || payload.includes(other.id)), 'no session id in any notification');
  t.same(kinds, ['session_ended', 'sessions_ended'], 'a logout is a kind of its own; no raw keep');
});

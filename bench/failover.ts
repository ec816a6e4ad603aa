// bench:failover — kill -9 of one node of a two-node cluster (a private PostgreSQL, one Asterisk that
// the bench owns, both nodes TELEPHONY=external) while customers' chats keep sending, half through each
// node. A send that fails (connection refused, 503 while the cluster elects) is sent again with the same
// client_id through the other node, as an app behind the load balancer would. Afterwards every chat is
// read back: acknowledged messages lost (target 0), duplicates and seq gaps (0), and, when the leader
// was killed, the time until the other node leads and holds the Stasis app (target < 5 s).
// Usage: npm run bench:failover [-- --chats 1000 --seconds 8]
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startAsterisk, type AsteriskInstance } from '../src/ari/index.ts';
import { freePort, startPostgres, type TestPostgres } from '../test/helpers/postgres.ts';
import { removeDir, startServer, type TestServer } from '../test/helpers/server.ts';

const { values } = parseArgs({ options: { chats: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '8' } } });
const CHATS = Number(values.chats);
const SECONDS = Number(values.seconds);
const TAKEOVER_TARGET_MS = 5000;
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

interface Health {
  ari?: { state: string };
  cluster?: { role: string };
}
interface Chat {
  id: string;
  token: string;
  home: number; // index of the node its requests go to first
  acked: string[]; // client ids the server answered 201 for
}
interface Outcome {
  scenario: string;
  acked: number;
  lost: number;
  duplicated: number;
  gaps: number;
  resent: number;
  takeoverMs: number | null;
}

async function health(node: TestServer): Promise<Health | undefined> {
  try {
    return (await (await fetch(`${node.url}/healthz`, { signal: AbortSignal.timeout(1000) })).json()) as Health;
  } catch {
    return undefined; // a dead node
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

async function post(node: TestServer, path: string, body: unknown, token?: string): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${node.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  return { status: res.status, json: await res.json() };
}

// Sends one message until a node acknowledges it: its home node first, then the other; 5xx and dead
// connections are tried again (bounded by `deadline`), a 4xx is a failure of the bench itself.
async function sendUntilAcked(nodes: TestServer[], chat: Chat, clientId: string, deadline: number): Promise<number> {
  let resent = 0;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const node = nodes[(chat.home + attempt) % nodes.length]!;
    try {
      const { status, json } = await post(node, `/api/v1/chats/${chat.id}/messages`, { text: `message ${clientId}`, client_id: clientId }, chat.token);
      if (status === 201) {
        chat.acked.push(clientId);
        return resent;
      }
      if (status < 500) throw new Error(`send ${clientId}: ${status} ${JSON.stringify(json)}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('send ')) throw err;
    }
    resent++;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`send ${clientId}: no node acknowledged it before the deadline`);
}

async function scenario(victim: 'follower' | 'leader', postgres: TestPostgres, asterisk: AsteriskInstance, ariPassword: string): Promise<Outcome> {
  const databaseUrl = await postgres.newDatabase();
  const env = {
    DATABASE_URL: databaseUrl,
    TELEPHONY: 'external',
    ARI_URL: asterisk.ariUrl,
    ARI_USER: asterisk.ariUser,
    ARI_PASSWORD: ariPassword,
    CHATS_PER_ADDRESS_PER_HOUR: String(CHATS * 10),
    MESSAGES_PER_CHAT_PER_MINUTE: '100000',
  };
  const nodes: TestServer[] = [];
  try {
    const leader = await startServer({ env: { ...env, PORT: String(await freePort()), NODE_ID: 'node-a' } });
    nodes.push(leader);
    await until('node-a leads with ARI', async () => ((await health(leader))?.ari?.state === 'up' ? true : undefined), 30_000);
    const follower = await startServer({ env: { ...env, PORT: String(await freePort()), NODE_ID: 'node-b' } });
    nodes.push(follower);
    await until('node-b follows', async () => ((await health(follower))?.cluster?.role === 'follower' ? true : undefined), 30_000);

    const chats: Chat[] = [];
    for (let i = 0; i < CHATS; i += 50) {
      const batch = Array.from({ length: Math.min(50, CHATS - i) }, async (_, j) => {
        const home = (i + j) % 2;
        const { status, json } = await post(nodes[home]!, '/api/v1/chats', { service: 'roadside', name: `Customer ${i + j}`, phone: '+15551230000' });
        if (status !== 201) throw new Error(`start chat: ${status} ${JSON.stringify(json)}`);
        return { ...(json as { id: string; token: string }), home, acked: [] };
      });
      chats.push(...(await Promise.all(batch)));
    }

    const stopAt = Date.now() + SECONDS * 1000;
    const deadline = stopAt + 60_000;
    let resent = 0;
    const senders = chats.map(async (chat) => {
      for (let n = 1; Date.now() < stopAt; n++) {
        const again = await sendUntilAcked(nodes, chat, `${chat.id.slice(0, 8)}-${n}`, deadline);
        resent += again;
      }
    });
    await new Promise((r) => setTimeout(r, (SECONDS * 1000) / 2));
    const killed = victim === 'leader' ? leader : follower;
    const survivor = victim === 'leader' ? follower : leader;
    const killedAt = Date.now();
    process.kill(killed.pid, 'SIGKILL');
    const takeoverMs =
      victim === 'leader'
        ? await until('the survivor leads with ARI', async () => {
            const h = await health(survivor);
            return h?.cluster?.role === 'leader' && h.ari?.state === 'up' ? Date.now() - killedAt : undefined;
          }, 30_000, 20)
        : null;
    await Promise.all(senders);

    let lost = 0;
    let duplicated = 0;
    let gaps = 0;
    for (const chat of chats) {
      const res = await fetch(`${survivor.url}/api/v1/chats/${chat.id}/messages`, { headers: { authorization: `Bearer ${chat.token}` } });
      const { messages } = (await res.json()) as { messages: Array<{ seq: number; client_id: string | null }> };
      const stored = messages.map((m) => m.client_id);
      lost += chat.acked.filter((id) => !stored.includes(id)).length;
      duplicated += stored.length - new Set(stored).size;
      gaps += messages.filter((m, i) => i > 0 && m.seq !== messages[i - 1]!.seq + 1).length;
    }
    const acked = chats.reduce((sum, c) => sum + c.acked.length, 0);
    return { scenario: `kill -9 of the ${victim}`, acked, lost, duplicated, gaps, resent, takeoverMs };
  } finally {
    for (const node of nodes) {
      await node.stop().catch(() => undefined); // the killed one is already gone
      await removeDir(node.dataDir);
    }
  }
}

async function main(): Promise<void> {
  console.log(`bench:failover — 2 nodes, PostgreSQL, one Asterisk; ${CHATS} chats sending for ${SECONDS} s, a node killed halfway; load average ${load()}`);
  const postgres = await startPostgres();
  const runtimeDir = await mkdtemp(join(tmpdir(), 'mcc-bench-asterisk-'));
  const ariPassword = randomBytes(24).toString('base64url');
  const asterisk = await startAsterisk({ runtimeDir, httpPort: 0, sipPort: 0, ariPassword });
  try {
    const outcomes = [await scenario('follower', postgres, asterisk, ariPassword), await scenario('leader', postgres, asterisk, ariPassword)];
    console.table(outcomes.map((o) => ({ ...o, takeoverMs: o.takeoverMs ?? '-' })));
    for (const o of outcomes) {
      console.log(`${o.scenario}: ${o.lost} of ${o.acked} acknowledged messages lost (target 0: ${o.lost === 0 ? 'met' : 'MISSED'}), ${o.duplicated} duplicated, ${o.gaps} seq gaps`);
      if (o.takeoverMs !== null) {
        console.log(`  the other node led and held the Stasis app ${o.takeoverMs} ms after the kill (target < ${TAKEOVER_TARGET_MS}: ${o.takeoverMs < TAKEOVER_TARGET_MS ? 'met' : 'MISSED'})`);
      }
    }
    console.log(`load average at the end ${load()}`);
  } finally {
    await asterisk.stop();
    await removeDir(runtimeDir);
    await postgres.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

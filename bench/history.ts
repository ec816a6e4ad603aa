// bench:history: what an agent's History page costs in the store, on SQLite and on PostgreSQL (a
// private one, test/helpers/postgres.ts). HISTORY_TOTAL ended interactions over HISTORY_AGENTS agents;
// then, ROUNDS times each, alternately: the store's history read (every interaction the agent worked,
// through interaction_agents) against the read before it (the interactions the agent holds last, by
// interactions.agent_id), and the agents of a page of 100 interactions. Prints the medians and the
// ratio of the two history reads. Then, as History reads a page now: one read with each interaction's
// wrap-up and rating joined, against the read with 2 reads per row it replaced (every 10th interaction
// has both); and the 30th page (keyset: after the 29th page's last row) against the first.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { InteractionRecord } from '../src/domain/interaction.ts';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { openStores, type Stores } from '../src/store/open-stores.ts';
import { startPostgres } from '../test/helpers/postgres.ts';

const TOTAL = Number(process.env.HISTORY_TOTAL ?? 60_000);
const AGENTS = Number(process.env.HISTORY_AGENTS ?? 20);
const ROUNDS = Number(process.env.ROUNDS ?? 50);
const PAGE = 100;
// History's read before wrap-ups and ratings were joined to it; then 2 reads per row.
const UNJOINED = {
  sqlite: 'SELECT i.* FROM interaction_agents a JOIN interactions i ON i.id = a.interaction_id WHERE a.agent_id = ? AND a.ended_at IS NOT NULL ORDER BY a.ended_at DESC, a.interaction_id DESC LIMIT ?',
  pg: 'SELECT i.* FROM interaction_agents a JOIN interactions i ON i.id = a.interaction_id WHERE a.agent_id = $1 AND a.ended_at IS NOT NULL ORDER BY a.ended_at DESC, a.interaction_id DESC LIMIT $2',
};
const BEFORE = { sqlite: "SELECT * FROM interactions WHERE agent_id = ? AND state = 'ended' ORDER BY ended_at DESC LIMIT ?", pg: "SELECT * FROM interactions WHERE agent_id = $1 AND state = 'ended' ORDER BY ended_at DESC LIMIT $2" };

const ended = (i: number): InteractionRecord => ({
  id: `bench-${i}`, serviceId: 'roadside', channel: 'web', customer: { name: `Bench customer ${i}`, phone: '+15551230000' }, tokenHash: 'ab'.repeat(32), startKey: null, heldSince: null,
  state: 'ended', offeredTo: null, offeredAt: null, agentId: `agent-${i % AGENTS}`, createdAt: i, acceptedAt: i, endedAt: i + 1, endedBy: 'customer',
  context: { fields: {} }, lastSeq: 3, callLegs: [], video: null, requeuedAt: null,
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function timed(f: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await f();
  return performance.now() - start;
}

// `before` runs the read by agent_id, `unjoined` History's read without its closure, on the same database.
async function measure(name: string, stores: Stores, before: (agentId: string) => Promise<unknown>, unjoined: (agentId: string) => Promise<Array<{ id: unknown }>>) {
  await stores.directory.saveService({ id: 'roadside', name: 'Roadside', autoDial: false });
  const loadStart = performance.now();
  for (let i = 0; i < TOTAL; i += 1000) await Promise.all(Array.from({ length: Math.min(1000, TOTAL - i) }, (_, k) => stores.store.saveInteraction(ended(i + k))));
  const saveUs = ((performance.now() - loadStart) / TOTAL) * 1000;
  for (let i = 0; i < TOTAL; i += 10_000) {
    const ids = Array.from({ length: Math.min(10_000, TOTAL - i) / 10 }, (_, k) => `bench-${i + k * 10}`);
    await Promise.all(ids.map((id, k) => stores.closures.saveWrapUp({ interactionId: id, agentId: 'agent-0', disposition: 'Resolved', notes: '', doneAt: i + k })));
    await Promise.all(ids.map((id, k) => stores.closures.saveRating({ interactionId: id, serviceId: 'roadside', score: 4, comment: null, ratedAt: i + k })));
  }
  // The 30th page of each agent starts after the last row of its 29th.
  const deepCursor = async (agentId: string) => (await stores.store.listHistory(agentId, { limit: PAGE * 29 })).at(-1)!.interaction;
  const cursors = await Promise.all(Array.from({ length: AGENTS }, (_, a) => deepCursor(`agent-${a}`)));
  const times = { now: [] as number[], before: [] as number[], agents: [] as number[], unjoined: [] as number[], deep: [] as number[] };
  const page = Array.from({ length: PAGE }, (_, k) => `bench-${k * 7}`);
  for (let r = 0; r < ROUNDS + 3; r++) {
    const agentId = `agent-${r % AGENTS}`;
    const now = await timed(() => stores.store.listHistory(agentId, { limit: PAGE }));
    const then = await timed(() => before(agentId));
    const agents = await timed(() => stores.store.listAgentsOf(page));
    const unjoinedPage = await timed(async () => {
      const rows = await unjoined(agentId);
      await Promise.all(rows.flatMap((row) => [stores.closures.getWrapUp(String(row.id)), stores.closures.getRating(String(row.id))]));
    });
    const last = cursors[r % AGENTS]!;
    const deep = await timed(() => stores.store.listHistory(agentId, { limit: PAGE, before: { endedAt: last.endedAt!, id: last.id } }));
    if (r < 3) continue; // warm-up
    times.now.push(now);
    times.before.push(then);
    times.agents.push(agents);
    times.unjoined.push(unjoinedPage);
    times.deep.push(deep);
  }
  const [now, then] = [median(times.now), median(times.before)];
  console.log(`${name}: ${TOTAL} ended interactions, ${TOTAL / AGENTS} per agent; saved at ${saveUs.toFixed(0)} µs each (batches of 1000)`);
  console.log(`  history page of ${PAGE}: ${now.toFixed(2)} ms, before ${then.toFixed(2)} ms, ratio ${(now / then).toFixed(2)} (median of ${ROUNDS})`);
  console.log(`  agents of ${PAGE} interactions: ${median(times.agents).toFixed(2)} ms`);
  const unjoinedMs = median(times.unjoined);
  console.log(`  history page of ${PAGE} with wrap-up and rating joined: ${now.toFixed(2)} ms, before (2 reads per row) ${unjoinedMs.toFixed(2)} ms, ratio ${(now / unjoinedMs).toFixed(2)}`);
  console.log(`  page 30 (keyset): ${median(times.deep).toFixed(2)} ms, ratio to page 1 ${(median(times.deep) / now).toFixed(2)}`);
}

const fail = (err: unknown) => {
  throw err;
};

const dir = await mkdtemp(join(tmpdir(), 'mcc-bench-history-'));
try {
  const stores = await openStores({ dataDir: dir }, fail);
  const reader = new DatabaseSync(join(dir, 'contact-center.sqlite'), { readOnly: true });
  await measure('SQLite', stores, async (agentId) => reader.prepare(BEFORE.sqlite).all(agentId, PAGE), async (agentId) => reader.prepare(UNJOINED.sqlite).all(agentId, PAGE) as Array<{ id: unknown }>);
  reader.close();
  await stores.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}

const postgres = await startPostgres();
try {
  const databaseUrl = await postgres.newDatabase();
  const stores = await openStores({ dataDir: '/nonexistent', databaseUrl }, fail);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  await measure('PostgreSQL', stores, (agentId) => pool.query(BEFORE.pg, [agentId, PAGE]), async (agentId) => (await pool.query(UNJOINED.pg, [agentId, PAGE])).rows as Array<{ id: unknown }>);
  await pool.end();
  await stores.close();
} finally {
  await postgres.stop();
}

// bench:floor: what the supervisor's floor costs with a busy day behind it. The real server on SQLite
// with FLOOR_TODAY interactions handled over the last hours and FLOOR_OPEN still open; then GET
// /supervisor (the whole page: wallboard, live list, agents) against GET /desktop (an agent's page)
// alternately, ROUNDS each, in the same run; the ratio of their medians is printed, and the first
// /supervisor, which reads the day's milestones from the store once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { InteractionRecord } from '../src/domain/interaction.ts';
import { openStores } from '../src/store/open-stores.ts';
import { agentGet } from '../test/helpers/desktop-client.ts';
import { login } from '../test/helpers/fixtures.ts';
import { startServer } from '../test/helpers/server.ts';

const TODAY = Number(process.env.FLOOR_TODAY ?? 10_000);
const OPEN = Number(process.env.FLOOR_OPEN ?? 200);
const ROUNDS = Number(process.env.ROUNDS ?? 60);
const HOUR = 3_600_000;

function seeded(i: number, now: number, open: boolean): InteractionRecord {
  const createdAt = open ? now - (i % 600) * 1000 : now - Math.floor(((i * 7919) % 1000) / 1000 * 7 * HOUR) - HOUR;
  const acceptedAt = open && i % 2 === 0 ? null : createdAt + 5_000 + (i % 40) * 1000;
  const endedAt = open ? null : (acceptedAt ?? createdAt) + 60_000 + (i % 9) * 60_000;
  const leg = { id: `leg-${i}`, interactionId: `bench-${i}`, serviceId: 'roadside', agentId: 'agent2', customerNumber: '+15551230000', state: 'released' as const, mute: 'unmuted' as const, startedAt: createdAt + 10_000, answeredAt: createdAt + 15_000, endedAt: createdAt + 50_000, cause: null };
  return {
    id: `bench-${open ? 'open' : 'done'}-${i}`,
    serviceId: i % 3 === 0 ? 'claims' : 'roadside',
    channel: 'web',
    customer: { name: `Bench customer ${i}`, phone: '+15551230000' },
    tokenHash: 'ab'.repeat(32),
    startKey: null, heldSince: null,
    state: open ? (acceptedAt ? 'active' : 'queued') : 'ended',
    offeredTo: null,
    offeredAt: null,
    agentId: acceptedAt ? 'agent2' : null,
    createdAt,
    acceptedAt,
    requeuedAt: null,
    endedAt,
    endedBy: open ? null : 'customer',
    context: { fields: { plate: `B-${i}` } },
    lastSeq: 0,
    callLegs: !open && i % 3 === 0 ? [leg] : [],
    video: null,
  };
}

async function timed(fn: () => Promise<Response>): Promise<number> {
  const start = performance.now();
  const res = await fn();
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return performance.now() - start;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const dataDir = await mkdtemp(join(tmpdir(), 'mcc-bench-floor-'));
try {
  // A first start makes the schema and the demo services and agents; the day is written while it is down.
  await (await startServer({ dataDir })).stop();
  const stores = await openStores({ dataDir }, (err) => console.error(err));
  const now = Date.now();
  const seedStart = performance.now();
  for (let i = 0; i < TODAY + OPEN; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, TODAY + OPEN - i) }, (_, j) => stores.store.saveInteraction(seeded(i + j, now, i + j >= TODAY))));
  }
  await stores.close();
  console.log(`seeded ${TODAY} interactions over the last hours and ${OPEN} open ones in ${Math.round(performance.now() - seedStart)} ms`);

  const server = await startServer({ dataDir, env: { OFFER_TIMEOUT_S: '3600' } });
  try {
    const supervisor = await login(server, 'supervisor1');
    const agent = await login(server, 'agent1');
    const cold = await timed(() => agentGet(supervisor, '/supervisor'));
    const floor: number[] = [];
    const desktop: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      desktop.push(await timed(() => agentGet(agent, '/desktop')));
      floor.push(await timed(() => agentGet(supervisor, '/supervisor')));
    }
    const html = await (await agentGet(supervisor, '/supervisor')).text();
    console.log(`first /supervisor (reads the day's milestones once): ${cold.toFixed(1)} ms; page ${Math.round(html.length / 1024)} KiB`);
    console.log(`GET /desktop     p50 ${pct(desktop, 50).toFixed(1)} ms  p99 ${pct(desktop, 99).toFixed(1)} ms  (baseline)`);
    console.log(`GET /supervisor  p50 ${pct(floor, 50).toFixed(1)} ms  p99 ${pct(floor, 99).toFixed(1)} ms`);
    console.log(`ratio /supervisor : /desktop at p50: ${(pct(floor, 50) / pct(desktop, 50)).toFixed(2)}x (${TODAY} interactions today, ${OPEN} live)`);
  } finally {
    await server.stop();
  }
} finally {
  await rm(dataDir, { recursive: true, force: true });
}

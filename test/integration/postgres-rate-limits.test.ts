// The abuse limits' counters in PostgreSQL (src/store/postgres/cluster/rate-limit-store.ts): counts asked
// for at once go into one statement, and each is answered as rate-limiter-flexible answers it alone,
// across nodes.
import pg from 'pg';
import { RateLimiterRes } from 'rate-limiter-flexible';
import t from 'tap';
import { postgresLimiterStore } from '../../src/store/postgres/cluster/rate-limit-store.ts';
import { ensureClusterSchema } from '../../src/store/postgres/cluster/schema.ts';
import { startPostgres } from '../helpers/postgres.ts';

const postgres = await startPostgres();
t.teardown(() => postgres.stop());

async function pools(count: number): Promise<pg.Pool[]> {
  const url = await postgres.newDatabase();
  const made = Array.from({ length: count }, () => new pg.Pool({ connectionString: url, max: 2 }));
  t.teardown(() => Promise.all(made.map((p) => p.end())));
  await ensureClusterSchema(made[0]!);
  return made;
}

const outcome = (p: Promise<RateLimiterRes>) =>
  p.then(
    (res) => ({ ok: true, consumed: res.consumedPoints, remaining: res.remainingPoints }),
    (res: unknown) => {
      if (!(res instanceof RateLimiterRes)) throw res;
      return { ok: false, consumed: res.consumedPoints, remaining: res.remainingPoints };
    },
  );

t.test('counts asked for at once, on two nodes: each gets the points it would have seen alone; the limit holds', async (t) => {
  const [a, b] = await pools(2);
  const limitA = postgresLimiterStore(a!)({ keyPrefix: 'messages_by_chat', points: 5, duration: 60 });
  const limitB = postgresLimiterStore(b!)({ keyPrefix: 'messages_by_chat', points: 5, duration: 60 });
  // Four counts of one chat and one of another in the same turn on node A: one statement.
  const first = await Promise.all([
    outcome(limitA.consume('chat-1')),
    outcome(limitA.consume('chat-1')),
    outcome(limitA.consume('chat-2')),
    outcome(limitA.consume('chat-1', 2)),
  ]);
  t.same(
    first.map((o) => [o.ok, o.consumed]),
    [
      [true, 1],
      [true, 2],
      [true, 1],
      [true, 4],
    ],
    'in the order asked, as one at a time',
  );
  // Node B counts on the same rows.
  const second = await Promise.all([outcome(limitB.consume('chat-1')), outcome(limitB.consume('chat-1')), outcome(limitA.consume('chat-2'))]);
  t.same(
    second.map((o) => [o.ok, o.consumed, o.remaining]),
    [
      [true, 5, 0],
      [false, 6, 0],
      [true, 2, 3],
    ],
    'the other node sees the counts: the sixth message in the minute is refused',
  );
  t.equal((await limitB.get('chat-1'))?.consumedPoints, 6, 'get reads the stored count');
});

t.test('an expired window starts again, for every count of the batch', async (t) => {
  const [a] = await pools(1);
  const limit = postgresLimiterStore(a!)({ keyPrefix: 'short', points: 2, duration: 1 });
  await limit.consume('k', 2);
  await t.rejects(limit.consume('k'), RateLimiterRes, 'over the limit within the window');
  // Expire the row rather than wait a second.
  await a!.query("UPDATE rate_limits SET expire = 1 WHERE key = 'short:k'");
  const again = await Promise.all([outcome(limit.consume('k')), outcome(limit.consume('k')), outcome(limit.consume('k'))]);
  t.same(again.map((o) => [o.ok, o.consumed]), [[true, 1], [true, 2], [false, 3]], 'counted from zero again');
});

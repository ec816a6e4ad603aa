import type pg from 'pg';
import { RateLimiterPostgres, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { StatementBatcher } from '../statement-batcher.ts';

// The abuse limits' counters in PostgreSQL (rate-limiter-flexible's own store), so a client spreading
// its requests over the nodes meets the same limits as on one node. One table (`rate_limits`, made
// with the cluster's schema), one key prefix per counter. Fits the web layer's LimiterStore.
export function postgresLimiterStore(pool: pg.Pool) {
  return (opts: { keyPrefix: string; points: number; duration: number }): RateLimiterAbstract =>
    new BatchedPostgresLimiter({ ...opts, storeClient: pool, tableName: 'rate_limits', tableCreated: true });
}

interface Count {
  key: string;
  points: number;
  msDuration: number;
}

type UpsertResult = { rows: Array<{ points: number; expire: unknown }> };

// Every customer message is counted (messages_by_chat): one statement (and one commit) each made the
// counters the cluster's slowest part (bench:chat --cluster). Here the counts asked for in one turn of
// the event loop, and while the previous statement runs, go into one upsert of many rows per duration
// (one duration per limiter in practice), with the same arithmetic as rate-limiter-flexible 11's
// RateLimiterPostgres._upsert (which this replaces; its other methods are unchanged): a key's window
// starts again once expired, else its points add up. Each count gets the points it would have seen
// alone, in the order asked.
class BatchedPostgresLimiter extends RateLimiterPostgres {
  // A statement that fails fails only the counts it held: each count gets its result or its error.
  readonly #counts = new StatementBatcher<Count, UpsertResult | Error>(async (counts) => {
    const results = new Map<Count, UpsertResult | Error>();
    for (const msDuration of new Set(counts.map((c) => c.msDuration))) {
      const group = counts.filter((c) => c.msDuration === msDuration);
      await this.#count(msDuration, group, results).catch((err: unknown) => {
        for (const c of group) results.set(c, err instanceof Error ? err : new Error(String(err)));
      });
    }
    return counts.map((c) => results.get(c)!);
  });

  constructor(opts: ConstructorParameters<typeof RateLimiterPostgres>[0] & { storeClient: pg.Pool }) {
    super(opts);
  }

  _upsert(key: string, points: number, msDuration: number, forceExpire = false): Promise<unknown> {
    // `set` and `block` (forceExpire) are rare: as the library does them.
    if (forceExpire) return (RateLimiterPostgres.prototype as unknown as BatchedPostgresLimiter)._upsert.call(this, key, points, msDuration, true);
    return this.#counts.ask({ key, points, msDuration }).then((result) => {
      if (result instanceof Error) throw result;
      return result;
    });
  }

  async #count(msDuration: number, counts: Count[], results: Map<Count, UpsertResult | Error>): Promise<void> {
    const sums = new Map<string, number>();
    for (const c of counts) sums.set(c.key, (sums.get(c.key) ?? 0) + c.points);
    const now = Date.now();
    const expire = msDuration > 0 ? now + msDuration : null;
    const pool = (this as unknown as { client: pg.Pool }).client;
    const { rows } = await pool.query<{ key: string; points: number; expire: unknown }>(
      `INSERT INTO rate_limits (key, points, expire) SELECT k, p, $3::bigint FROM unnest($1::varchar[], $2::integer[]) AS r(k, p)
       ON CONFLICT (key) DO UPDATE SET
         points = CASE WHEN rate_limits.expire <= $4 THEN excluded.points ELSE rate_limits.points + excluded.points END,
         expire = CASE WHEN rate_limits.expire <= $4 THEN excluded.expire ELSE rate_limits.expire END
       RETURNING key, points, expire`,
      [[...sums.keys()], [...sums.values()], expire, now],
    );
    const stored = new Map(rows.map((r) => [r.key, r]));
    // What is still to be added after each count, per key: the count saw the total less that.
    const later = new Map(sums);
    for (const c of counts) {
      const row = stored.get(c.key);
      if (!row) {
        results.set(c, new Error(`rate_limits: no row returned for ${c.key}`));
        continue;
      }
      const after = later.get(c.key)! - c.points;
      later.set(c.key, after);
      results.set(c, { rows: [{ points: row.points - after, expire: row.expire }] });
    }
  }
}

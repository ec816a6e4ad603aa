import type pg from 'pg';
import { RateLimiterPostgres, type RateLimiterAbstract } from 'rate-limiter-flexible';

// The abuse limits' counters in PostgreSQL (rate-limiter-flexible's own store), so a client spreading
// its requests over the nodes meets the same limits as on one node. One table (`rate_limits`, made
// with the cluster's schema), one key prefix per counter. Fits the web layer's LimiterStore.
export function postgresLimiterStore(pool: pg.Pool) {
  return (opts: { keyPrefix: string; points: number; duration: number }): RateLimiterAbstract =>
    new BatchedPostgresLimiter({ ...opts, storeClient: pool, tableName: 'rate_limits', tableCreated: true });
}

// At most this many counts in one statement.
const MAX_BATCH = 1000;

interface Count {
  key: string;
  points: number;
  msDuration: number;
  resolve(result: { rows: Array<{ points: number; expire: unknown }> }): void;
  reject(err: unknown): void;
}

// Every customer message is counted (messages_by_chat): one statement (and one commit) each made the
// counters the cluster's slowest part (bench:chat --cluster). Here the counts asked for in one turn of
// the event loop, and while the previous statement runs, go into one upsert of many rows, with the same
// arithmetic as rate-limiter-flexible 11's RateLimiterPostgres._upsert (which this replaces; its other
// methods are unchanged): a key's window starts again once expired, else its points add up. Each count
// gets the points it would have seen alone, in the order asked.
class BatchedPostgresLimiter extends RateLimiterPostgres {
  #queue: Count[] = [];
  #draining = false;

  constructor(opts: ConstructorParameters<typeof RateLimiterPostgres>[0] & { storeClient: pg.Pool }) {
    super(opts);
  }

  _upsert(key: string, points: number, msDuration: number, forceExpire = false): Promise<unknown> {
    // `set` and `block` (forceExpire) are rare: as the library does them.
    if (forceExpire) return (RateLimiterPostgres.prototype as unknown as BatchedPostgresLimiter)._upsert.call(this, key, points, msDuration, true);
    return new Promise((resolve, reject) => {
      this.#queue.push({ key, points, msDuration, resolve, reject });
      if (this.#draining) return;
      this.#draining = true;
      setImmediate(() => void this.#drain());
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      // One statement per duration (one per limiter in practice), one row per key.
      const byDuration = new Map<number, Count[]>();
      for (const c of batch) {
        const group = byDuration.get(c.msDuration);
        if (group) group.push(c);
        else byDuration.set(c.msDuration, [c]);
      }
      for (const [msDuration, counts] of byDuration) {
        try {
          await this.#count(msDuration, counts);
        } catch (err) {
          for (const c of counts) c.reject(err);
        }
      }
    }
    this.#draining = false;
  }

  async #count(msDuration: number, counts: Count[]): Promise<void> {
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
        c.reject(new Error(`rate_limits: no row returned for ${c.key}`));
        continue;
      }
      const after = later.get(c.key)! - c.points;
      later.set(c.key, after);
      c.resolve({ rows: [{ points: row.points - after, expire: row.expire }] });
    }
  }
}

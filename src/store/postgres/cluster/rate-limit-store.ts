import type pg from 'pg';
import { RateLimiterPostgres, type RateLimiterAbstract } from 'rate-limiter-flexible';

// The abuse limits' counters in PostgreSQL (rate-limiter-flexible's own store), so a client spreading
// its requests over the nodes meets the same limits as on one node. One table (`rate_limits`, made
// with the cluster's schema), one key prefix per counter. Fits the web layer's LimiterStore.
export function postgresLimiterStore(pool: pg.Pool) {
  return (opts: { keyPrefix: string; points: number; duration: number }): RateLimiterAbstract =>
    new RateLimiterPostgres({ ...opts, storeClient: pool, tableName: 'rate_limits', tableCreated: true });
}

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { inTransaction } from './transaction.ts';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url).pathname;
// The advisory lock every node takes to migrate ('MCC' 01). Leader election takes another key.
export const MIGRATION_LOCK = 0x4d434301;

// Brings the schema up to date in one transaction, under a transaction-scoped advisory lock: nodes of a
// cluster starting at once wait for the first, then find nothing left to do. A migration that fails
// leaves the database as it was. Returns the migrations applied now.
export function migrate(pool: pg.Pool): Promise<string[]> {
  return inTransaction(pool, async (query) => {
    await query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await query('CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at bigint NOT NULL)');
    const applied = new Set((await query('SELECT version FROM schema_migrations')).rows.map((r) => String(r.version)));
    const pending = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql') && !applied.has(f)).sort();
    for (const file of pending) {
      await query(readFileSync(join(MIGRATIONS_DIR, file), 'utf8'));
      await query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [file, Date.now()]);
    }
    return pending;
  });
}

import pg from 'pg';
import { GroupCommit } from './group-commit.ts';
import { migrate } from './migrate.ts';
import { CLIENT_KEEPALIVE, SESSION_OPTIONS } from './session-options.ts';

// How long /healthz waits for `SELECT 1` before it says the database is down.
const HEALTH_TIMEOUT_MS = 2000;

// A type, not an interface: /healthz's parts are records.
export type DatabaseHealth = {
  state: 'up' | 'down';
  detail?: string;
};

export interface PostgresDatabase {
  // For reads; writes go through `writes`, which resolves each after its batch's COMMIT.
  pool: pg.Pool;
  writes: GroupCommit;
  health(): Promise<DatabaseHealth>;
  close(): Promise<void>;
}

// bigint (epoch milliseconds, counts) as numbers: every one of ours fits in 2^53. pg's default is a string.
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

// Connects to DATABASE_URL and migrates the schema. `onIdleError` hears of a pooled connection that
// broke while idle (the database restarted, the network dropped): the pool replaces it at its next use.
export async function openPostgres(url: string, onIdleError: (err: Error) => void): Promise<PostgresDatabase> {
  // jit off: the store runs short statements only, and the planner's cost of a batched read grows with
  // its guess of the rows per chat until it crosses jit_above_cost; compiling then took 250 ms for a
  // read that runs in 20 (docs/cluster.md). SESSION_OPTIONS: a vanished node's batch does not hold its
  // row locks, and so every write of the cluster, for hours.
  const pool = new pg.Pool({
    connectionString: url,
    types,
    connectionTimeoutMillis: 5000,
    application_name: 'mobile-contact-center',
    ...CLIENT_KEEPALIVE,
    options: `-c jit=off ${SESSION_OPTIONS}`,
  });
  pool.on('error', onIdleError);
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  const writes = new GroupCommit(pool);
  return {
    pool,
    writes,
    health: () => probe(pool),
    async close() {
      await writes.close();
      await pool.end();
    },
  };
}

async function probe(pool: pg.Pool): Promise<DatabaseHealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to SELECT 1 within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
  });
  try {
    await Promise.race([pool.query('SELECT 1'), timeout]);
    return { state: 'up' };
  } catch (err) {
    return { state: 'down', detail: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

// DATABASE_URL as it may appear in a log: without its password.
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}

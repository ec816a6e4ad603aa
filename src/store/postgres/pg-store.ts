import type pg from 'pg';
import type { Row } from '../rows.ts';
import type { PostgresDatabase } from './database.ts';
import type { GroupCommit } from './group-commit.ts';

// What every PostgreSQL store shares: reads on any pooled connection (a write is visible to them once
// its promise has resolved, after COMMIT), writes through the node's group commit.
export abstract class PgStore {
  protected readonly pool: pg.Pool;
  protected readonly writes: GroupCommit;

  constructor(database: Pick<PostgresDatabase, 'pool' | 'writes'>) {
    this.pool = database.pool;
    this.writes = database.writes;
  }

  protected async all<T>(sql: string, map: (row: Row) => T, ...params: unknown[]): Promise<T[]> {
    return (await this.pool.query(sql, params)).rows.map(map);
  }

  protected async one<T>(sql: string, map: (row: Row) => T, ...params: unknown[]): Promise<T | undefined> {
    const row = (await this.pool.query(sql, params)).rows[0] as Row | undefined;
    return row ? map(row) : undefined;
  }

  // One write of statements without a result of its own.
  protected write(...statements: [sql: string, values: readonly unknown[]][]): Promise<void> {
    return this.writes.write(async (query) => {
      for (const [sql, values] of statements) await query(sql, values);
    });
  }
}

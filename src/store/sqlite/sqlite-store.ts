import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import type { WriteBatcher } from './write-batcher.ts';

type Row = Record<string, unknown>;

// What every SQLite store shares: reads on the main connection, writes through the writer thread
// (each resolves once it is on disk).
export abstract class SqliteStore {
  protected readonly db: DatabaseSync;
  protected readonly batcher: WriteBatcher;

  constructor(db: DatabaseSync, batcher: WriteBatcher) {
    this.db = db;
    this.batcher = batcher;
  }

  protected all<T>(sql: string, map: (row: Row) => T, ...params: SQLInputValue[]): T[] {
    return this.db.prepare(sql).all(...params).map(map);
  }

  protected one<T>(sql: string, map: (row: Row) => T, ...params: SQLInputValue[]): T | undefined {
    const row = this.db.prepare(sql).get(...params);
    return row ? map(row) : undefined;
  }
}

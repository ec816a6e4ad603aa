import type { DatabaseSync } from 'node:sqlite';
import { Checkpointer } from './checkpointer.ts';
import { openDatabase } from './database.ts';
import { WriteBatcher } from './write-batcher.ts';

export interface DurableDatabase {
  // For reads. Writes go through `batcher`, which resolves each once it is on disk.
  db: DatabaseSync;
  batcher: WriteBatcher;
  close(): Promise<void>;
}

// The database, its writer thread and its checkpoint thread. `onThreadError` hears if either dies.
export function openDurableDatabase(file: string, onThreadError: (err: unknown, thread: 'writer' | 'checkpoint') => void): DurableDatabase {
  const db = openDatabase(file);
  const batcher = new WriteBatcher(file, (err) => onThreadError(err, 'writer'));
  const checkpointer = new Checkpointer(file, (err) => onThreadError(err, 'checkpoint'));
  return {
    db,
    batcher,
    async close() {
      await batcher.close();
      await checkpointer.close();
      db.close();
    },
  };
}

import type { DatabaseSync } from 'node:sqlite';
import { openDatabase } from './database.ts';
import { WriteBatcher } from './write-batcher.ts';

export interface DurableDatabase {
  // For reads. Writes go through `batcher`, which resolves each once it is on disk.
  db: DatabaseSync;
  batcher: WriteBatcher;
  close(): Promise<void>;
}

// The database and its writer thread. `onWriterError` hears if the writer thread dies.
export function openDurableDatabase(file: string, onWriterError: (err: unknown) => void): DurableDatabase {
  const db = openDatabase(file);
  const batcher = new WriteBatcher(file, onWriterError);
  return {
    db,
    batcher,
    async close() {
      await batcher.close();
      db.close();
    },
  };
}

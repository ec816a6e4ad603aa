import type { DatabaseSync } from 'node:sqlite';
import { openDatabase } from './database.ts';
import { WriteBatcher } from './write-batcher.ts';

export interface DurableDatabase {
  // For reads. Writes go through `batcher`, which resolves each once it is on disk.
  db: DatabaseSync;
  batcher: WriteBatcher;
  close(): Promise<void>;
}

// The database, its writer thread and its checkpoint thread. `onWriterError` hears if the writer
// thread dies, `onCheckpointError` when a checkpoint fails (the WAL then grows until one succeeds).
export function openDurableDatabase(file: string, onWriterError: (err: unknown) => void, onCheckpointError?: (err: Error) => void): DurableDatabase {
  const db = openDatabase(file);
  const batcher = new WriteBatcher(file, onWriterError, onCheckpointError);
  return {
    db,
    batcher,
    async close() {
      await batcher.close();
      db.close();
    },
  };
}

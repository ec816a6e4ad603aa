import type { DatabaseSync } from 'node:sqlite';
import { startCheckpointer } from './checkpointer.ts';
import { openDatabase } from './database.ts';
import { WalSync } from './wal-sync.ts';
import { WriteBatcher } from './write-batcher.ts';

export interface DurableDatabase {
  db: DatabaseSync;
  // Every store writes through this: a write resolves once it is on disk.
  batcher: WriteBatcher;
  close(): Promise<void>;
}

// The database with its write path: group commits, the WAL sync and the checkpoint worker.
export function openDurableDatabase(file: string, onBackgroundError: (err: unknown) => void): DurableDatabase {
  const db = openDatabase(file);
  const wal = new WalSync(`${file}-wal`);
  const batcher = new WriteBatcher(db, wal);
  const checkpointer = startCheckpointer(file, onBackgroundError);
  return {
    db,
    batcher,
    async close() {
      batcher.flush();
      await wal.flushed();
      await checkpointer.stop();
      // The last connection to close checkpoints the WAL into the database file and syncs it.
      db.close();
      wal.close();
    },
  };
}

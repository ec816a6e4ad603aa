import type { DatabaseSync } from 'node:sqlite';
import type { WalSync } from './wal-sync.ts';

interface PendingWrite {
  run: () => void;
  resolve: () => void;
  reject: (err: unknown) => void;
}

// Group commit: writes asked for in the same turn of the event loop share one transaction, and each
// caller's promise resolves only once that transaction is on disk (the WAL sync runs off the event
// loop, and commits made while one sync runs share the next). If the shared transaction fails, each
// write is retried in a transaction of its own, so a bad write fails alone.
export class WriteBatcher {
  readonly #db: DatabaseSync;
  readonly #wal: WalSync;
  #queue: PendingWrite[] = [];
  #scheduled = false;

  constructor(db: DatabaseSync, wal: WalSync) {
    this.#db = db;
    this.#wal = wal;
  }

  write(run: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ run, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  // Commits what is queued now; the callers hear back once it is durable.
  flush(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    if (queue.length === 0) return;
    let committed = queue;
    try {
      this.transaction(() => {
        for (const w of queue) w.run();
      });
    } catch {
      committed = [];
      for (const w of queue) {
        try {
          this.transaction(w.run);
          committed.push(w);
        } catch (err) {
          w.reject(err);
        }
      }
    }
    if (committed.length === 0) return;
    this.#wal.flushed().then(
      () => committed.forEach((w) => w.resolve()),
      (err: unknown) => committed.forEach((w) => w.reject(err)),
    );
  }

  private transaction(body: () => void): void {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      body();
      this.#db.exec('COMMIT');
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
  }
}

import type { DatabaseSync } from 'node:sqlite';

interface PendingWrite {
  run: () => void;
  resolve: () => void;
  reject: (err: unknown) => void;
}

// Group commit: writes asked for in the same turn of the event loop share one transaction (one fsync),
// and each caller's promise resolves only after that commit. If the shared transaction fails, each
// write is retried in a transaction of its own, so a bad write fails alone.
export class WriteBatcher {
  readonly #db: DatabaseSync;
  #queue: PendingWrite[] = [];
  #scheduled = false;

  constructor(db: DatabaseSync) {
    this.#db = db;
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

  flush(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    if (queue.length === 0) return;
    try {
      this.transaction(() => {
        for (const w of queue) w.run();
      });
    } catch {
      for (const w of queue) {
        try {
          this.transaction(w.run);
          w.resolve();
        } catch (err) {
          w.reject(err);
        }
      }
      return;
    }
    for (const w of queue) w.resolve();
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

import type { DatabaseSync } from 'node:sqlite';

interface PendingWrite {
  run: () => void;
  resolve: () => void;
  reject: (err: unknown) => void;
}

// Group commit: writes asked for in the same turn of the event loop share one transaction (one fsync),
// and each caller's promise resolves only after that commit. A failing write is rolled back to its own
// savepoint, so it fails alone.
export class WriteBatcher {
  readonly #db: DatabaseSync;
  #queue: PendingWrite[] = [];
  #scheduled = false;
  batches = 0;

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
    const outcomes: Array<unknown> = [];
    try {
      this.#db.exec('BEGIN IMMEDIATE');
      for (const w of queue) outcomes.push(this.runIsolated(w.run));
      this.#db.exec('COMMIT');
      this.batches += 1;
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      for (const w of queue) w.reject(err);
      return;
    }
    queue.forEach((w, i) => (outcomes[i] === undefined ? w.resolve() : w.reject(outcomes[i])));
  }

  private runIsolated(run: () => void): unknown {
    this.#db.exec('SAVEPOINT one_write');
    try {
      run();
      this.#db.exec('RELEASE one_write');
      return undefined;
    } catch (err) {
      this.#db.exec('ROLLBACK TO one_write');
      this.#db.exec('RELEASE one_write');
      return err ?? new Error('write failed');
    }
  }
}

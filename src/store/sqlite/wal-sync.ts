import { fdatasync, openSync, closeSync } from 'node:fs';

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

// Makes committed transactions durable without blocking the event loop. The connection runs with
// synchronous=NORMAL, so COMMIT only writes the WAL frames; this class then fdatasyncs the WAL file
// on libuv's thread pool, the same sync that synchronous=FULL would make inside COMMIT. Callers ask
// after their COMMIT returned; everyone who asked while one sync was running shares the next one.
export class WalSync {
  readonly #fd: number;
  #waiting: Waiter[] = [];
  #syncing = false;
  #failed: unknown = null;

  constructor(walFile: string) {
    // The WAL exists from the first write on; SQLite keeps the same file (and inode) until the last
    // connection closes, resetting or truncating it in place.
    this.#fd = openSync(walFile, 'r+');
  }

  flushed(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#failed) return reject(this.#failed);
      this.#waiting.push({ resolve, reject });
      if (!this.#syncing) this.#sync();
    });
  }

  close(): void {
    closeSync(this.#fd);
  }

  #sync(): void {
    const batch = this.#waiting;
    this.#waiting = [];
    this.#syncing = true;
    fdatasync(this.#fd, (err) => {
      this.#syncing = false;
      // After a failed fsync the kernel may have dropped the dirty pages: nothing later can be
      // called durable on this file, so every following write fails too.
      if (err) this.#failed = err;
      for (const w of batch) {
        if (err) w.reject(err);
        else w.resolve();
      }
      if (this.#waiting.length > 0) this.#sync();
    });
  }
}

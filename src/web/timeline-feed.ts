import type { TimelineEntry } from '../domain/timeline.ts';

// Sends one interaction's timeline to one socket in seq order with no gap and no duplicate, whether
// entries arrive live or have to be read back (after a reconnect, or when a live entry skipped ahead).
export class TimelineFeed {
  #lastSent: number;
  #syncing = false;
  #dirty = false;
  // Bumped by restartAfter: a read begun before answers a question no longer asked.
  #generation = 0;
  readonly #read: (afterSeq: number) => Promise<TimelineEntry[]>;
  readonly #send: (entries: TimelineEntry[]) => void;
  readonly #onError: (err: unknown) => void;

  constructor(opts: {
    afterSeq: number;
    read: (afterSeq: number) => Promise<TimelineEntry[]>;
    send: (entries: TimelineEntry[]) => void;
    onError: (err: unknown) => void;
  }) {
    this.#lastSent = opts.afterSeq;
    this.#read = opts.read;
    this.#send = opts.send;
    this.#onError = opts.onError;
  }

  get lastSent(): number {
    return this.#lastSent;
  }

  // The page says what it already shows; the feed goes on from there.
  restartAfter(afterSeq: number): void {
    this.#lastSent = afterSeq;
    this.#generation += 1;
    this.sync();
  }

  push(entry: TimelineEntry): void {
    if (entry.seq <= this.#lastSent) return;
    if (!this.#syncing && entry.seq === this.#lastSent + 1) {
      this.#lastSent = entry.seq;
      this.#send([entry]);
      return;
    }
    this.sync();
  }

  sync(): void {
    if (this.#syncing) {
      this.#dirty = true;
      return;
    }
    this.#syncing = true;
    const generation = this.#generation;
    this.#read(this.#lastSent)
      .then((entries) => {
        // The page asked to go on from further back meanwhile: read again from there (dirty).
        if (generation !== this.#generation) return;
        const fresh = entries.filter((e) => e.seq > this.#lastSent);
        const last = fresh.at(-1);
        if (last) {
          this.#lastSent = last.seq;
          this.#send(fresh);
        }
      })
      .catch(this.#onError)
      .finally(() => {
        this.#syncing = false;
        if (this.#dirty) {
          this.#dirty = false;
          this.sync();
        }
      });
  }
}

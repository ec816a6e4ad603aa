// Statements of one kind asked for in the same turn of the event loop, and while the previous statement
// of that kind runs, made as one: under load a node asks the same read for hundreds of chats at once (a
// follower catching up on every chat a commit batch touched) and counts every customer message against
// its limits, and one round trip to PostgreSQL each would queue them on the pool. Each is answered by a
// statement started after it was asked, so a read sees every write committed before it was asked, as a
// read of its own would.

// At most this many keys in one statement.
const MAX_BATCH = 1000;

interface Asked<K, V> {
  key: K;
  resolve(value: V): void;
  reject(err: unknown): void;
}

export class StatementBatcher<K, V> {
  // Answers every key, in order, with one statement.
  readonly #read: (keys: K[]) => Promise<V[]>;
  #asked: Array<Asked<K, V>> = [];
  #reading = false;

  constructor(read: (keys: K[]) => Promise<V[]>) {
    this.#read = read;
  }

  ask(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      this.#asked.push({ key, resolve, reject });
      if (this.#reading) return;
      this.#reading = true;
      setImmediate(() => void this.#drain());
    });
  }

  async #drain(): Promise<void> {
    while (this.#asked.length > 0) {
      const batch = this.#asked.splice(0, MAX_BATCH);
      try {
        const values = await this.#read(batch.map((a) => a.key));
        batch.forEach((a, i) => a.resolve(values[i]!));
      } catch (err) {
        // A key PostgreSQL refuses as data (class 22: a NUL in a text, say) fails its own caller only,
        // not everyone who asked in the same turn. Any other failure (the database away) fails them all.
        if (batch.length > 1 && isDataError(err)) await this.#oneByOne(batch);
        else for (const a of batch) a.reject(err);
      }
    }
    this.#reading = false;
  }

  async #oneByOne(batch: Array<Asked<K, V>>): Promise<void> {
    for (const a of batch) {
      await this.#read([a.key]).then(
        ([value]) => a.resolve(value!),
        (err: unknown) => a.reject(err),
      );
    }
  }
}

const isDataError = (err: unknown) => typeof (err as { code?: unknown } | null)?.code === 'string' && (err as { code: string }).code.startsWith('22');

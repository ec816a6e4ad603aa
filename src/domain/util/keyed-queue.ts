// Runs tasks one after another per key (an interaction), in arrival order, without blocking other keys.
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();
  readonly #onError: (err: unknown, key: string) => void;

  constructor(onError: (err: unknown, key: string) => void) {
    this.#onError = onError;
  }

  // The caller gets the task's result or its rejection; the queue only keeps going after it.
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined, // handled by whoever awaits `result`
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  // For work nobody awaits (event handling): failures are reported, never lost.
  fire(key: string, task: () => Promise<unknown>): void {
    this.run(key, task).catch((err: unknown) => this.#onError(err, key));
  }
}

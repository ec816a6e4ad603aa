import type { Timers } from '../ports.ts';

// Work that failed in a way that may pass and that nobody will ask for again (no caller is waiting, no
// gateway will retry it), tried again by itself: after 5 s, 30 s, then every 5 minutes. The work says
// whether to go on by failing again; shutdown stops every retry still waiting.
export class RetryLater {
  readonly #timers: Timers;
  readonly #delaysMs: readonly number[];
  readonly #waiting = new Set<{ cancel(): void }>();
  #stopped = false;

  constructor(timers: Timers, delaysMs: readonly number[] = [5_000, 30_000, 300_000]) {
    this.#timers = timers;
    this.#delaysMs = delaysMs;
  }

  // Runs `work(attempt)` after the delay of that attempt (1 is the first retry).
  schedule(attempt: number, work: (attempt: number) => void): void {
    if (this.#stopped) return; // work failing as the process stops is not tried again
    const delay = this.#delaysMs[Math.min(attempt, this.#delaysMs.length) - 1]!;
    const timer = this.#timers.schedule(delay, () => {
      this.#waiting.delete(timer);
      work(attempt);
    });
    this.#waiting.add(timer);
  }

  shutdown(): void {
    this.#stopped = true;
    for (const timer of this.#waiting) timer.cancel();
    this.#waiting.clear();
  }
}

// Waiting in tests: the one polling helper of every tier (and of bench/), and a plain sleep.

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const POLL_MS = 50;

/**
 * Polls `probe` until it returns a value other than undefined, and returns that value. A probe that
 * throws counts as "not yet" (a port that does not answer while a part restarts, a request refused for
 * now). After `timeoutMs` it throws an error naming `what` and what the last probe gave: its error, or
 * that it still answered undefined.
 */
export async function eventually<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: { threw: unknown } | undefined;
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = { threw: error };
    }
    if (Date.now() > deadline) {
      const gave = last ? `it last threw: ${last.threw instanceof Error ? last.threw.message : String(last.threw)}` : 'it last answered undefined';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${gave}`, last ? { cause: last.threw } : undefined);
    }
    await sleep(POLL_MS);
  }
}

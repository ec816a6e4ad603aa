// Names of agents and services as the desktop shows them, read again after a minute: rendering a pushed
// message costs no await per entry, and an admin's rename shows within the minute, on every node.
export class NameCache {
  readonly #names = new Map<string, { name: string; readAt: number }>();
  readonly #maxAgeMs: number;
  readonly #now: () => number;

  constructor(opts: { maxAgeMs?: number; now?: () => number } = {}) {
    this.#maxAgeMs = opts.maxAgeMs ?? 60_000;
    this.#now = opts.now ?? Date.now;
  }

  // The name if read less than a minute ago.
  get(key: string): string | undefined {
    const hit = this.#names.get(key);
    return hit && this.#now() - hit.readAt < this.#maxAgeMs ? hit.name : undefined;
  }

  // The name last read, however old: what a render shows rather than a bare id.
  last(key: string): string | undefined {
    return this.#names.get(key)?.name;
  }

  async read(key: string, load: () => Promise<string>): Promise<string> {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const name = await load();
    this.#names.set(key, { name, readAt: this.#now() });
    return name;
  }
}

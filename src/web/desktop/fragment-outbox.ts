// Timeline entries (views) waiting to be appended to an open chat panel's list.
export interface EntryGroup {
  appendTo: string;
  entries: object[];
}

// What a desktop page is sent: an HTML fragment rendered already, or entries rendered at flush.
export type Fragment = string | EntryGroup;

// The outgoing side of one desktop socket. Fragments produced in the same turn go out as one frame:
// htmx swaps each top-level element of a frame on its own, and a busy agent's socket makes one write
// instead of dozens. Entry groups queued in a turn are rendered together, one template call per
// frame (bench:chat). Fragments leave in the order they were produced, even when one had to wait for
// a lookup: a message shown at once must not overtake the one before it in the same chat.
export class FragmentOutbox {
  readonly #renderGroups: (groups: EntryGroup[]) => string;
  readonly #write: (frame: string) => void;
  readonly #onError: (err: unknown) => void;
  #outbox: Fragment[] = [];
  // The last fragment still waiting in line for a lookup, null when none is.
  #waiting: Promise<void> | null = null;

  constructor(opts: { renderGroups: (groups: EntryGroup[]) => string; write: (frame: string) => void; onError: (err: unknown) => void }) {
    this.#renderGroups = opts.renderGroups;
    this.#write = opts.write;
    this.#onError = opts.onError;
  }

  // Into this turn's frame now, ahead of anything still waiting (presence, which orders nothing).
  send(item: Fragment): void {
    if (!item) return;
    if (this.#outbox.length === 0) setImmediate(() => this.#flush());
    this.#outbox.push(item);
  }

  // Into a frame after everything pushed before it.
  push(item: Fragment | Promise<string>): void {
    if (!(item instanceof Promise) && this.#waiting === null) return this.send(item);
    // Handled now, not when its turn comes: a failed render must not count as an unhandled rejection.
    const ready = Promise.resolve(item).catch((err: unknown) => (this.#onError(err), ''));
    const inLine: Promise<void> = (this.#waiting ?? Promise.resolve())
      .then(() => ready)
      .then((fragment) => this.send(fragment))
      .catch(this.#onError)
      .finally(() => {
        if (this.#waiting === inLine) this.#waiting = null;
      });
    this.#waiting = inLine;
  }

  #flush(): void {
    const items = this.#outbox;
    this.#outbox = [];
    try {
      const frame = this.#render(items);
      if (frame) this.#write(frame);
    } catch (err) {
      this.#onError(err);
    }
  }

  #render(items: Fragment[]): string {
    let frame = '';
    let groups: EntryGroup[] = [];
    for (const item of items) {
      if (typeof item !== 'string') {
        groups.push(item);
        continue;
      }
      frame += this.#renderEach(groups) + item;
      groups = [];
    }
    return frame + this.#renderEach(groups);
  }

  // All groups in one render; if that fails, each alone, so one bad entry costs only its own group.
  #renderEach(groups: EntryGroup[]): string {
    if (groups.length === 0) return '';
    try {
      return this.#renderGroups(groups);
    } catch {
      return groups
        .map((group) => {
          try {
            return this.#renderGroups([group]);
          } catch (err) {
            this.#onError(err);
            return '';
          }
        })
        .join('');
    }
  }
}

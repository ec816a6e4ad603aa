import type { DomainEvent } from '../../domain/events.ts';
import type { EventHub } from '../event-hub.ts';

// What changes a line of the floor: an interaction's state, an agent's presence, a call or video, a
// customer's rating (the wallboard's average today), a follower's catching up (the day read again).
const FLOOR_KINDS: ReadonlySet<string> = new Set(['call', 'video', 'rating']);
const changesTheFloor = (event: DomainEvent) =>
  event.type === 'interaction_changed' || event.type === 'presence_changed' || event.type === 'replica_resynced' || (event.type === 'entry_appended' && FLOOR_KINDS.has(event.entry.kind));

// The floor's live updates, shared by every supervisor's page on this node: a burst of changes makes
// one render at most every `intervalMs`, sent to all (a busy floor costs renders per second, not per
// event and page), and a big floor less often: each page is sent about `bytesPerSecond` at most. Listens
// only while a page is open. Every `refreshMs` it renders anyway: waiting
// chats cross their service's target with no event.
export class FloorFeed {
  readonly #hub: EventHub;
  readonly #render: () => Promise<string>;
  readonly #onError: (err: unknown) => void;
  readonly #intervalMs: number;
  readonly #bytesPerSecond: number;
  // The wait before the next render: longer after a big frame.
  #wait: number;
  readonly #refreshMs: number;
  readonly #pages = new Set<(frame: string) => void>();
  #stop: (() => void) | null = null;
  #pending: NodeJS.Timeout | null = null;
  // A render on its way; a change meanwhile renders again after it (one at a time: a slow render
  // finishing last would send an older floor last).
  #rendering = false;
  #again = false;

  constructor(opts: { hub: EventHub; render: () => Promise<string>; onError: (err: unknown) => void; intervalMs?: number; refreshMs?: number; bytesPerSecond?: number }) {
    this.#hub = opts.hub;
    this.#render = opts.render;
    this.#onError = opts.onError;
    this.#intervalMs = opts.intervalMs ?? 300;
    this.#wait = this.#intervalMs;
    this.#bytesPerSecond = opts.bytesPerSecond ?? 100_000;
    this.#refreshMs = opts.refreshMs ?? 15_000;
  }

  join(send: (frame: string) => void): () => void {
    this.#pages.add(send);
    if (!this.#stop) this.#start();
    return () => {
      this.#pages.delete(send);
      if (this.#pages.size === 0) this.#halt();
    };
  }

  #start(): void {
    const unsubscribe = this.#hub.onEvery((event) => {
      if (changesTheFloor(event)) this.#changed();
    });
    const refresh = setInterval(() => this.#changed(), this.#refreshMs);
    refresh.unref();
    this.#stop = () => {
      unsubscribe();
      clearInterval(refresh);
    };
  }

  #halt(): void {
    this.#stop?.();
    this.#stop = null;
    if (this.#pending) clearTimeout(this.#pending);
    this.#pending = null;
    this.#again = false;
  }

  #changed(): void {
    if (this.#pending) return;
    if (this.#rendering) return void (this.#again = true);
    this.#pending = setTimeout(() => {
      this.#pending = null;
      this.#rendering = true;
      this.#render()
        .then((frame) => {
          this.#wait = Math.max(this.#intervalMs, (frame.length / this.#bytesPerSecond) * 1000);
          for (const send of this.#pages) send(frame);
        }, this.#onError)
        .finally(() => {
          this.#rendering = false;
          if (this.#again && this.#stop) this.#changed();
          this.#again = false;
        });
    }, this.#wait);
  }
}

// Transports whose browser went away without a word: a phone's OS killed the page, or its network
// went for good. A live browser sends something on each of its transports every few seconds (ICE
// consent checks, RTCP), but mediasoup 3.8 times nothing out (ICE consent came in later versions), so
// such a transport kept its tracks (a frozen picture on the other side) and its place under the
// participant's cap until the video ended. Here a connected transport on which nothing arrived for
// `silentMs` is closed, and one whose DTLS the browser closed or that failed is closed at once.
import type { types as ms } from 'mediasoup';
import type { SfuLogger } from './types.ts';

export interface SilentTransportOptions {
  /** How long a connected transport may receive nothing before it is closed; 0: never. */
  silentMs: number;
  logger?: SfuLogger | undefined;
  now?: () => number;
}

interface Watched {
  bytesReceived: number;
  // When bytesReceived last moved, or when the transport was last seen not connected yet.
  heardAt: number;
  labels: Record<string, string>;
}

export class SilentTransports {
  readonly #opts: SilentTransportOptions;
  readonly #now: () => number;
  readonly #watched = new Map<ms.WebRtcTransport, Watched>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(opts: SilentTransportOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  /** Watches the transport until it closes; `labels` go into the log line when it is closed here. */
  watch(transport: ms.WebRtcTransport, labels: Record<string, string>): void {
    if (this.#opts.silentMs <= 0) return;
    this.#watched.set(transport, { bytesReceived: -1, heardAt: this.#now(), labels });
    transport.observer.once('close', () => this.#watched.delete(transport));
    transport.on('dtlsstatechange', (state) => {
      if (state === 'closed' || state === 'failed') this.#close(transport, `DTLS ${state}`);
    });
    this.#schedule();
  }

  /** One round over every watched transport (the timer runs it; tests may call it). */
  async check(): Promise<void> {
    await Promise.all([...this.#watched].map(([transport, seen]) => this.#checkOne(transport, seen)));
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #checkOne(transport: ms.WebRtcTransport, seen: Watched): Promise<void> {
    // Not connected yet: a page creates a transport before it has anything to send or receive on it.
    if (transport.closed || transport.dtlsState !== 'connected') {
      seen.heardAt = this.#now();
      return;
    }
    let bytesReceived: number;
    try {
      bytesReceived = (await transport.getStats())[0]?.bytesReceived ?? 0;
    } catch (err) {
      if (!transport.closed) this.#opts.logger?.warn({ err, ...seen.labels }, 'video transport stats unavailable');
      return;
    }
    if (bytesReceived !== seen.bytesReceived) {
      seen.bytesReceived = bytesReceived;
      seen.heardAt = this.#now();
    } else if (this.#now() - seen.heardAt >= this.#opts.silentMs) {
      this.#close(transport, `nothing received for ${Math.round((this.#now() - seen.heardAt) / 1000)} s`);
    }
  }

  #close(transport: ms.WebRtcTransport, why: string): void {
    if (transport.closed) return;
    this.#opts.logger?.info({ ...this.#watched.get(transport)?.labels, transportId: transport.id, why }, 'video transport closed: its browser is gone');
    transport.close();
  }

  // A round every third of the silence allowed (at most 5 s), while anything is watched; the next
  // round starts when this one is done, so rounds never pile up behind a slow worker.
  #schedule(): void {
    if (this.#timer || this.#stopped || this.#watched.size === 0) return;
    const every = Math.min(5000, Math.max(250, this.#opts.silentMs / 3));
    this.#timer = setTimeout(() => {
      this.check()
        .catch((err: unknown) => this.#opts.logger?.error({ err }, 'checking video transports failed'))
        .finally(() => {
          this.#timer = undefined;
          this.#schedule();
        });
    }, every);
    this.#timer.unref();
  }
}

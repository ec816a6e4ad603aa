import type { Logger } from 'pino';
import { connectAri, type Ari, type AriEvent } from './client.ts';

export type AriState = 'connecting' | 'up' | 'down' | 'stopped';

export interface AriConnectionOptions {
  url: string;
  user: string;
  password: string;
  app: string;
  logger: Logger;
  // Run after every (re)connect, before the connection counts as up: push endpoints, reconcile calls.
  onConnected: (ari: Ari) => Promise<void>;
  onEvent: (event: AriEvent, ari: Ari) => void;
}

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;

// Keeps one ARI connection alive: connects with backoff, restarts the Stasis app after Asterisk comes
// back, and runs onConnected each time so state lost on either side is rebuilt.
export class AriConnection {
  readonly #o: AriConnectionOptions;
  #ari: Ari | null = null;
  #state: AriState = 'connecting';
  #delay = MIN_DELAY_MS;
  #timer: NodeJS.Timeout | null = null;
  #detail = '';

  constructor(opts: AriConnectionOptions) {
    this.#o = opts;
  }

  get state(): AriState {
    return this.#state;
  }

  get detail(): string {
    return this.#detail;
  }

  current(): Ari {
    if (!this.#ari || this.#state !== 'up') throw new Error(`Asterisk is not reachable (ARI ${this.#state})`);
    return this.#ari;
  }

  // Resolves once the first connection is up (or rejects after `firstTimeoutMs`); keeps retrying after.
  start(firstTimeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`ARI at ${this.#o.url} did not answer within ${firstTimeoutMs} ms: ${this.#detail}`)), firstTimeoutMs);
      this.connect(() => {
        clearTimeout(deadline);
        resolve();
      });
    });
  }

  stop(): void {
    this.#state = 'stopped';
    if (this.#timer) clearTimeout(this.#timer);
    this.#ari?.removeAllListeners();
    this.#ari?.stop();
    this.#ari = null;
  }

  private connect(onFirstUp?: () => void): void {
    if (this.#state === 'stopped') return;
    this.#state = this.#ari ? 'down' : 'connecting';
    connectAri(this.#o.url, this.#o.user, this.#o.password)
      .then(async (ari) => {
        this.#ari = ari;
        ari.on('*', (event) => this.#o.onEvent(event, ari));
        ari.on('WebSocketReconnecting', () => this.markDown('event stream lost, reconnecting'));
        // Fired by ari-client on every open, the first one included: that one is handled below.
        ari.on('WebSocketConnected', () => {
          if (this.#state === 'connecting') return;
          this.afterConnect(ari).catch((err: unknown) => this.retry(err));
        });
        ari.on('WebSocketMaxRetries', () => this.retry(new Error('event stream could not reconnect')));
        await ari.start(this.#o.app);
        await this.afterConnect(ari);
        onFirstUp?.();
      })
      .catch((err: unknown) => this.retry(err, onFirstUp));
  }

  private async afterConnect(ari: Ari): Promise<void> {
    if (this.#ari !== ari || this.#state === 'stopped') return;
    await this.#o.onConnected(ari);
    this.#state = 'up';
    this.#delay = MIN_DELAY_MS;
    this.#detail = '';
    this.#o.logger.info({ url: this.#o.url }, 'ARI connected');
  }

  // A reconnect makes the connection unusable until onConnected has rebuilt what was lost.
  private markDown(why: string): void {
    if (this.#state === 'stopped') return;
    this.#state = 'down';
    this.#detail = why;
    this.#o.logger.warn({ why }, 'ARI down');
  }

  private retry(err: unknown, onFirstUp?: () => void): void {
    if (this.#state === 'stopped') return;
    this.markDown((err as Error).message);
    this.#ari?.removeAllListeners();
    this.#ari?.stop();
    this.#ari = null;
    const delay = this.#delay;
    this.#delay = Math.min(MAX_DELAY_MS, this.#delay * 2);
    this.#timer = setTimeout(() => this.connect(onFirstUp), delay);
  }
}

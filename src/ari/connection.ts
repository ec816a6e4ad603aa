import type { Logger } from 'pino';
import { connectAri, plainEvents, type Ari, type AriEvent } from './client.ts';

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
  // Told of every change between up and not up (repeats of "down" with a new reason included).
  onStateChange?: (state: AriState, detail: string) => void;
  // Makes the client (ari-client's with plain events unless a test gives its own).
  connect?: (url: string, user: string, password: string) => Promise<Ari>;
}

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;
// Events held while a (re)connect rebuilds: a few per call and per agent's phone. Beyond this many the
// rest are dropped and logged: what they told is lost until the next reconnect's reconciliation.
export const MAX_EARLY_EVENTS = 5_000;

async function connectPlain(url: string, user: string, password: string): Promise<Ari> {
  const ari = await connectAri(url, user, password);
  plainEvents(ari);
  return ari;
}

// Keeps one ARI connection alive: connects with backoff, restarts the Stasis app after Asterisk comes
// back, and runs onConnected each time so state lost on either side is rebuilt. Each attempt has a
// number: whatever an older attempt's client still reports (late events, a failed rebuild) is ignored.
export class AriConnection {
  readonly #o: AriConnectionOptions;
  #ari: Ari | null = null;
  #state: AriState = 'connecting';
  #delay = MIN_DELAY_MS;
  #timer: NodeJS.Timeout | null = null;
  #detail = '';
  #attempt = 0;
  #firstUp: (() => void) | null = null;
  // The event stream opens before onConnected has rebuilt what its events act on (endpoints, adopted
  // calls; current() throws meanwhile): they wait here, in order, and are handled once it is up.
  #early: AriEvent[] = [];
  #dropped = 0;

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
      this.#firstUp = () => {
        clearTimeout(deadline);
        resolve();
      };
      this.connect();
    });
  }

  stop(): void {
    this.#state = 'stopped';
    this.#attempt += 1;
    if (this.#timer) clearTimeout(this.#timer);
    this.drop();
  }

  // Asterisk is known to be gone (its process ended): down now, not when the event stream notices.
  lost(why: string): void {
    this.markDown(why);
  }

  // Asterisk is known to be back (restarted): connect now instead of at the next step of our backoff.
  // A client that still exists is left to its own reconnect (100 ms doubling, ten tries): stopping it
  // would not cancel the try it has scheduled, and that late event stream would take the Stasis app
  // from the new one and drop it on closing.
  reconnectNow(): void {
    if (this.#state === 'stopped' || this.#ari || !this.#timer) return;
    clearTimeout(this.#timer);
    this.#timer = null;
    this.#delay = MIN_DELAY_MS;
    this.connect();
  }

  private connect(): void {
    if (this.#state === 'stopped') return;
    const attempt = ++this.#attempt;
    const mine = () => attempt === this.#attempt && this.#state !== 'stopped';
    let started = false;
    (this.#o.connect ?? connectPlain)(this.#o.url, this.#o.user, this.#o.password)
      .then(async (ari) => {
        if (!mine()) return; // superseded before its event stream opened: nothing to close
        this.#ari = ari;
        ari.on('*', (event) => {
          if (mine()) this.received(event, ari);
        });
        ari.on('WebSocketReconnecting', () => {
          if (mine()) this.markDown('event stream lost, reconnecting');
        });
        // Fired by ari-client on every open, the first one included: that one is handled below.
        ari.on('WebSocketConnected', () => {
          if (started && mine()) this.afterConnect(ari, mine).catch((err: unknown) => this.retry(attempt, err));
        });
        ari.on('WebSocketMaxRetries', () => this.retry(attempt, new Error('event stream could not reconnect')));
        await ari.start(this.#o.app);
        started = true;
        await this.afterConnect(ari, mine);
      })
      .catch((err: unknown) => this.retry(attempt, err));
  }

  private async afterConnect(ari: Ari, mine: () => boolean): Promise<void> {
    if (!mine()) return;
    await this.#o.onConnected(ari);
    if (!mine()) return;
    this.#state = 'up';
    this.#delay = MIN_DELAY_MS;
    this.#detail = '';
    this.#o.logger.info({ url: this.#o.url }, 'ARI connected');
    this.#o.onStateChange?.('up', '');
    this.handleEarly(ari);
    this.#firstUp?.();
    this.#firstUp = null;
  }

  private received(event: AriEvent, ari: Ari): void {
    if (this.#state === 'up') return this.deliver(event, ari);
    if (this.#early.length < MAX_EARLY_EVENTS) return void this.#early.push(event);
    if (this.#dropped++ === 0) this.#o.logger.error({ kept: MAX_EARLY_EVENTS }, 'too many ARI events while reconnecting: dropping the rest');
  }

  private handleEarly(ari: Ari): void {
    const early = this.#early;
    if (this.#dropped > 0) this.#o.logger.error({ dropped: this.#dropped, handled: early.length }, 'ARI events dropped while reconnecting');
    this.#early = [];
    this.#dropped = 0;
    for (const event of early) this.deliver(event, ari);
  }

  // One event a handler could not take is logged; it does not stop the others (nor the connection).
  private deliver(event: AriEvent, ari: Ari): void {
    try {
      this.#o.onEvent(event, ari);
    } catch (err) {
      this.#o.logger.error({ err, type: event.type, channel: event.channel?.id }, 'an ARI event could not be handled');
    }
  }

  // A reconnect makes the connection unusable until onConnected has rebuilt what was lost.
  private markDown(why: string): void {
    if (this.#state === 'stopped') return;
    const was = this.#state;
    this.#state = was === 'connecting' ? 'connecting' : 'down';
    this.#detail = why;
    this.#o.logger.warn({ why }, 'ARI down');
    this.#o.onStateChange?.(this.#state, why);
  }

  private retry(attempt: number, err: unknown): void {
    if (this.#state === 'stopped' || attempt !== this.#attempt) return;
    this.markDown((err as Error).message);
    this.drop();
    const delay = this.#delay;
    this.#delay = Math.min(MAX_DELAY_MS, this.#delay * 2);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.connect();
    }, delay);
  }

  // The events of a client let go of go with it: the next connect's reconciliation reads Asterisk anew.
  private drop(): void {
    this.#early = [];
    this.#dropped = 0;
    this.#ari?.removeAllListeners();
    this.#ari?.stop();
    this.#ari = null;
  }
}

import pg from 'pg';
import { CLIENT_KEEPALIVE, SESSION_OPTIONS } from '../session-options.ts';
import { LEADER_LOCK, LOCK_NAMESPACE } from './schema.ts';

export interface LeaderLockOptions {
  connectionString: string;
  nodeId: string;
  // How often a follower tries the lock, and how often the leader checks it still holds its connection.
  retryMs?: number;
  // A leader whose check takes longer than this has lost PostgreSQL: it stops leading.
  probeTimeoutMs?: number;
  // Won: the node now runs what must run once. A rejection is a lost leadership (onLost).
  onLeader(): Promise<void>;
  // The lock connection broke (or its check timed out) while leading: another node may hold the lock
  // already, so this one must stop acting as leader at once.
  onLost(err: Error): void;
  // A follower's failed attempt (PostgreSQL down, say); it tries again.
  onRetry?(err: Error): void;
}

export class LeadershipLost extends Error {
  constructor(cause: unknown) {
    super(`leadership lost: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'LeadershipLost';
  }
}

// Leadership is a session-level advisory lock held on a dedicated connection: PostgreSQL frees it the
// moment that session ends, so a dead leader's lock goes when its TCP connection drops (at once for a
// killed process; within the server-side keepalive, ~4 s, for a vanished host).
export class LeaderLock {
  readonly #o: Required<Omit<LeaderLockOptions, 'onRetry'>> & Pick<LeaderLockOptions, 'onRetry'>;
  #client: pg.Client | undefined;
  #leader = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #firstAttempt: () => void = () => undefined;
  // Settles once the first try is over: won (and onLeader done), lost, or failed (then retried).
  readonly decided: Promise<void> = new Promise((resolve) => (this.#firstAttempt = resolve));

  constructor(options: LeaderLockOptions) {
    this.#o = { retryMs: 1000, probeTimeoutMs: 2500, ...options };
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  start(): void {
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    // Ending the session gives the lock back at once (a graceful stop hands over without waiting).
    if (client) await client.end();
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), ms);
  }

  async #tick(): Promise<void> {
    try {
      const client = this.#client ?? (await this.#connect());
      if (this.#leader) {
        await client.query('SELECT 1');
      } else {
        const { rows } = await client.query<{ won: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS won', [LOCK_NAMESPACE, LEADER_LOCK]);
        if (rows[0]?.won) {
          this.#leader = true;
          await this.#o.onLeader();
        }
      }
    } catch (err) {
      this.#firstAttempt();
      if (this.#leader) return this.#lose(err);
      this.#drop();
      this.#o.onRetry?.(err as Error);
    }
    this.#firstAttempt();
    this.#schedule(this.#o.retryMs);
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.#o.connectionString,
      application_name: `mcc-leader-lock:${this.#o.nodeId}`.slice(0, 63),
      ...CLIENT_KEEPALIVE,
      // The server drops a silent peer's session (and frees its lock) after ~4 s instead of hours.
      options: SESSION_OPTIONS,
      query_timeout: this.#o.probeTimeoutMs,
      connectionTimeoutMillis: this.#o.probeTimeoutMs,
    });
    // Errors of an idle connection arrive here, not on a query: while leading they end the leadership.
    client.on('error', (err) => (this.#leader ? this.#lose(err) : this.#drop()));
    client.on('end', () => {
      if (this.#leader && !this.#stopped) this.#lose(new Error('the lock connection closed'));
    });
    await client.connect();
    this.#client = client;
    return client;
  }

  #drop(): void {
    const client = this.#client;
    this.#client = undefined;
    client?.end().catch(() => undefined); // already broken: nothing to report beyond the error that led here
  }

  #lose(err: unknown): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#leader = false;
    clearTimeout(this.#timer);
    this.#drop();
    this.#o.onLost(new LeadershipLost(err));
  }
}

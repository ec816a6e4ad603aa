// A pool of mediasoup workers (one process per core). The rest of src/sfu asks it for a router on the
// least loaded worker; nothing outside src/sfu sees a mediasoup type.
import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import type { types as ms } from 'mediasoup';
import { SfuError, sfuClosed } from './errors.ts';
import type { SfuLogger, WorkerDump } from './types.ts';

export interface WorkerPoolOptions {
  /** Worker binary. Default: env MEDIASOUP_WORKER_BIN, else node_modules/mediasoup/worker/out/Release/mediasoup-worker. */
  workerBin?: string;
  /** Default: os.availableParallelism(). */
  numWorkers?: number;
  /** RTC (ICE/DTLS/RTP) port range shared by the workers; mediasoup retries a port in use. */
  rtcMinPort?: number;
  rtcMaxPort?: number;
  logLevel?: 'debug' | 'warn' | 'error' | 'none';
  /** Start a replacement when a worker dies (its routers are gone either way). Default true. */
  respawn?: boolean;
  /** How long a replacement waits when workers keep dying, or one could not start. Default 60 s. */
  respawnBackoffMs?: number;
  logger?: SfuLogger;
}

type Mediasoup = typeof import('mediasoup');

// Deaths counted for the backoff: those of the last ten minutes.
const RESPAWN_WINDOW_MS = 10 * 60_000;

/** Where mediasoup 3.8.4 looks for its worker when MEDIASOUP_WORKER_BIN is unset. */
export function defaultWorkerBin(): string {
  const pkg = createRequire(import.meta.url).resolve('mediasoup/package.json');
  return join(dirname(pkg), 'worker', 'out', 'Release', 'mediasoup-worker');
}

export function resolveWorkerBin(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return explicit || env.MEDIASOUP_WORKER_BIN || defaultWorkerBin();
}

// mediasoup 3.8.4 reads MEDIASOUP_WORKER_BIN once, when its module loads: load it only after the
// variable is set, and refuse a second, different binary in the same process.
let loaded: { bin: string; module: Promise<Mediasoup> } | undefined;
function loadMediasoup(bin: string): Promise<Mediasoup> {
  if (loaded) {
    if (loaded.bin !== bin) {
      throw new SfuError('invalid', 'invalid_parameters', `mediasoup already loaded with worker ${loaded.bin}, not ${bin}`);
    }
    return loaded.module;
  }
  process.env.MEDIASOUP_WORKER_BIN = bin;
  const module = import('mediasoup').then((m) => ((m as { default?: Mediasoup }).default ?? m) as Mediasoup);
  loaded = { bin, module };
  return module;
}

interface PoolWorker {
  worker: ms.Worker;
  routers: number;
}

export class WorkerPool {
  readonly workerBin: string;
  readonly #options: WorkerPoolOptions;
  readonly #log: SfuLogger | undefined;
  #mediasoup: Mediasoup | undefined;
  #workers: PoolWorker[] = [];
  #closed = false;
  // When workers died in the last RESPAWN_WINDOW_MS, and the replacements waiting for their time.
  #deaths: number[] = [];
  readonly #waiting = new Set<NodeJS.Timeout>();

  private constructor(workerBin: string, options: WorkerPoolOptions) {
    this.workerBin = workerBin;
    this.#options = options;
    this.#log = options.logger;
  }

  /** Starts the workers; rejects (and leaves nothing running) if any fails to start. */
  static async start(options: WorkerPoolOptions = {}): Promise<WorkerPool> {
    const bin = resolveWorkerBin(options.workerBin);
    try {
      await access(bin, fsConstants.X_OK);
    } catch {
      throw new SfuError(
        'unavailable',
        'sfu_worker_missing',
        `mediasoup worker not found at ${bin}: run "bash scripts/build-mediasoup-worker.sh" (or set MEDIASOUP_WORKER_BIN)`,
      );
    }
    const pool = new WorkerPool(bin, options);
    pool.#mediasoup = await loadMediasoup(bin);
    const count = Math.max(1, options.numWorkers ?? availableParallelism());
    try {
      await Promise.all(Array.from({ length: count }, () => pool.#spawn()));
    } catch (err) {
      pool.close();
      throw new SfuError('unavailable', 'sfu_unavailable', `mediasoup worker failed to start: ${String(err)}`, { cause: err });
    }
    pool.#log?.info({ workers: count, bin, version: pool.#mediasoup.version }, 'mediasoup workers started');
    return pool;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get size(): number {
    return this.#workers.length;
  }

  get routerCount(): number {
    return this.#workers.reduce((n, w) => n + w.routers, 0);
  }

  /** Creates a router on the worker with the fewest routers. */
  async createRouter(mediaCodecs: ms.RtpCodecCapability[], appData?: Record<string, unknown>): Promise<ms.Router> {
    if (this.#closed) throw sfuClosed();
    let best: PoolWorker | undefined;
    for (const w of this.#workers) if (!best || w.routers < best.routers) best = w;
    if (!best) throw new SfuError('unavailable', 'sfu_unavailable', 'no mediasoup worker is running');
    best.routers += 1; // counted now, so concurrent calls spread out before the router exists
    try {
      const router = await best.worker.createRouter({ mediaCodecs, appData });
      const counted = best;
      router.observer.once('close', () => {
        counted.routers -= 1;
      });
      return router;
    } catch (err) {
      best.routers -= 1;
      throw err;
    }
  }

  async dump(): Promise<WorkerDump[]> {
    return Promise.all(
      this.#workers.map(async ({ worker }) => {
        const d = (await worker.dump()) as { pid: number; routerIds: string[] };
        return { pid: d.pid, routers: d.routerIds.length };
      }),
    );
  }

  /** Closes every worker (their routers, transports... close with them). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#waiting) clearTimeout(timer);
    this.#waiting.clear();
    for (const { worker } of this.#workers) worker.close();
    this.#workers = [];
  }

  async #spawn(): Promise<void> {
    const ms = this.#mediasoup;
    if (!ms) throw new Error('mediasoup not loaded');
    const o = this.#options;
    const worker = await ms.createWorker({
      logLevel: o.logLevel ?? 'warn',
      rtcMinPort: o.rtcMinPort,
      rtcMaxPort: o.rtcMaxPort,
    });
    if (this.#closed) {
      worker.close();
      return;
    }
    const entry: PoolWorker = { worker, routers: 0 };
    this.#workers.push(entry);
    worker.on('died', (error: Error) => this.#onDied(entry, error));
  }

  #onDied(entry: PoolWorker, error: Error): void {
    this.#workers = this.#workers.filter((w) => w !== entry);
    this.#log?.error({ pid: entry.worker.pid, err: error }, 'mediasoup worker died');
    if (this.#closed || this.#options.respawn === false) return;
    const now = Date.now();
    this.#deaths = [...this.#deaths.filter((at) => now - at < RESPAWN_WINDOW_MS), now];
    // A worker that dies at once again and again is restarted once a backoff, not in a loop; a node
    // that lost its workers over weeks still gets each one back.
    this.#respawnAfter(this.#deaths.length > 10 * Math.max(1, this.#options.numWorkers ?? availableParallelism()) ? this.#backoffMs : 0);
  }

  // A replacement that could not start is tried again after the backoff, until one does.
  #respawnAfter(ms: number): void {
    const timer = setTimeout(() => {
      this.#waiting.delete(timer);
      this.#spawn().catch((err: unknown) => {
        this.#log?.error({ err }, 'mediasoup worker respawn failed; trying again');
        if (!this.#closed) this.#respawnAfter(this.#backoffMs);
      });
    }, ms).unref();
    this.#waiting.add(timer);
  }

  get #backoffMs(): number {
    return this.#options.respawnBackoffMs ?? 60_000;
  }
}

// Keeps the project's own Asterisk running: started once, then started again with backoff whenever it
// dies on its own (a crash, kill -9, the OOM killer), with the same runtime folder, ports and ARI
// password, so the controller, the /sip proxy and the phones find it where it was. stop() ends it for good.
import { startAsterisk, type AsteriskInstance, type AsteriskLogger, type StartAsteriskOptions } from './process.ts';
import { DEFAULT_RESTART_POLICY, nextRestartDelay, type RestartPolicy } from './restart-policy.ts';

export interface SupervisorHooks {
  // Asterisk ended without being asked to: every channel and memory object it held is gone.
  onExit?(info: string): void;
  // A restarted Asterisk answers ARI (not called for the first start).
  onRestarted?(instance: AsteriskInstance): void;
}

export interface SupervisorOptions extends SupervisorHooks {
  asterisk: StartAsteriskOptions;
  logger: AsteriskLogger;
  policy?: RestartPolicy;
  // Tests give their own; the default runs the real one.
  start?: (opts: StartAsteriskOptions) => Promise<AsteriskInstance>;
}

export interface Supervision {
  state: 'starting' | 'running' | 'restarting' | 'stopped';
  pid: number | null;
  restarts: number; // starts after the first that came up
  lastRestartAt: string | null; // ISO time of the latest of them
  lastExit: string | null; // how the latest unplanned end happened
}

export class AsteriskSupervisor {
  readonly #o: SupervisorOptions;
  readonly #start: (opts: StartAsteriskOptions) => Promise<AsteriskInstance>;
  #asterisk: StartAsteriskOptions;
  #current: AsteriskInstance | null = null;
  #startedAt = 0;
  #delay: number | null = null;
  #timer: NodeJS.Timeout | null = null;
  #pending: Promise<void> | null = null; // a start under way (first or later)
  #stopped = false;
  #restarts = 0;
  #lastRestartAt: number | null = null;
  #lastExit: string | null = null;

  constructor(opts: SupervisorOptions) {
    this.#o = opts;
    this.#start = opts.start ?? startAsterisk;
    this.#asterisk = opts.asterisk;
  }

  get current(): AsteriskInstance | null {
    return this.#current;
  }

  status(): Supervision {
    const state = this.#stopped ? 'stopped' : this.#current ? 'running' : this.#lastExit ? 'restarting' : 'starting';
    return {
      state,
      pid: this.#current?.pid ?? null,
      restarts: this.#restarts,
      lastRestartAt: this.#lastRestartAt === null ? null : new Date(this.#lastRestartAt).toISOString(),
      lastExit: this.#lastExit,
    };
  }

  // The first start: its failure is the caller's (nothing is retried when Asterisk cannot start at all).
  start(): Promise<AsteriskInstance> {
    const run = this.firstStart();
    this.#pending = run.then(
      () => undefined,
      () => undefined, // the caller hears of it
    );
    return run;
  }

  private async firstStart(): Promise<AsteriskInstance> {
    const instance = await this.#start(this.#asterisk);
    // Ports chosen as 0 and the password stay the same for every later start.
    this.#asterisk = { ...this.#asterisk, httpPort: instance.httpPort, sipPort: instance.sipUdpPort, ariPassword: instance.ariPassword };
    if (this.#stopped) {
      await instance.stop();
      throw new Error('stopped while Asterisk was starting');
    }
    this.watch(instance);
    return instance;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#pending; // a start under way stops what it started
    const current = this.#current;
    this.#current = null;
    await current?.stop();
  }

  private watch(instance: AsteriskInstance): void {
    this.#current = instance;
    this.#startedAt = Date.now();
    // `exited` never rejects.
    void instance.exited.then((info) => this.exited(instance, info));
  }

  private exited(instance: AsteriskInstance, info: string): void {
    if (this.#stopped || this.#current !== instance) return; // stop() ended it
    this.#current = null;
    this.#lastExit = info;
    this.#o.logger.error(`asterisk: pid ${instance.pid} ended on its own (${info}); starting it again`);
    this.#o.onExit?.(info);
    this.schedule(Date.now() - this.#startedAt);
  }

  private schedule(ranForMs: number): void {
    if (this.#stopped) return;
    const delay = (this.#delay = nextRestartDelay(this.#delay, ranForMs, this.#o.policy ?? DEFAULT_RESTART_POLICY));
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#pending = this.restart().catch((err: unknown) => this.#o.logger.error(`asterisk: after a restart: ${(err as Error).message}`));
    }, delay);
  }

  private async restart(): Promise<void> {
    let instance: AsteriskInstance;
    try {
      instance = await this.#start(this.#asterisk);
    } catch (err) {
      this.#o.logger.error(`asterisk: did not start again (${(err as Error).message}); trying later`);
      return this.schedule(0);
    }
    if (this.#stopped) return instance.stop();
    this.#restarts += 1;
    this.#lastRestartAt = Date.now();
    this.watch(instance);
    this.#o.logger.info(`asterisk: started again (pid ${instance.pid}, restart ${this.#restarts})`);
    this.#o.onRestarted?.(instance);
  }
}

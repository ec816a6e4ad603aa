import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

// The checkpoint thread (checkpoint-thread.ts). `onError` hears if it fails: the database stays
// correct without it, the writer's checkpoints just take longer.
export class Checkpointer {
  readonly #worker: Worker;

  constructor(file: string, onError: (err: unknown) => void, intervalMs = 250) {
    this.#worker = new Worker(new URL('./checkpoint-thread.ts', import.meta.url), {
      workerData: { file, intervalMs },
      execArgv: ['--disable-warning=ExperimentalWarning'],
    });
    this.#worker.on('error', onError);
    this.#worker.unref(); // it alone does not keep the process running
  }

  async close(): Promise<void> {
    if (this.#worker.threadId === -1) return; // it has already stopped
    this.#worker.ref(); // until it has closed its connection
    const exited = once(this.#worker, 'exit');
    this.#worker.postMessage('close');
    await exited;
  }
}

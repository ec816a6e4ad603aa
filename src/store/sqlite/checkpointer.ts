import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

// Starts the checkpoint worker (checkpoint-worker.ts) for one database file.
export function startCheckpointer(file: string, onError: (err: unknown) => void, intervalMs = 250): { stop(): Promise<void> } {
  const worker = new Worker(new URL('./checkpoint-worker.ts', import.meta.url), {
    workerData: { file, intervalMs },
    execArgv: ['--disable-warning=ExperimentalWarning'],
  });
  worker.on('error', onError);
  return {
    async stop() {
      if (worker.threadId === -1) return;
      const exited = once(worker, 'exit');
      worker.postMessage('stop');
      await exited;
    },
  };
}

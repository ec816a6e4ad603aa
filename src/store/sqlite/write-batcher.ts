import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import type { SQLInputValue } from 'node:sqlite';
import { Worker } from 'node:worker_threads';

// One statement of a write: SQL and its parameters (positional or named).
type Params = readonly SQLInputValue[] | Readonly<Record<string, SQLInputValue>>;
export type WriteOp = readonly [sql: string, params: Params];
// What travels to the writer thread: statements by number, each one's SQL sent only the first time
// (copying the text of every statement of every message was a measurable part of each batch).
export interface WriteBatch {
  id: number;
  newStatements: [statement: number, sql: string][];
  writes: (readonly (readonly [statement: number, params: Params])[])[];
}
export type WriteOutcome = null | { message: string; code: string };

export class WriteFailed extends Error {
  readonly code: string;
  constructor(outcome: { message: string; code: string }) {
    super(outcome.message);
    this.name = 'WriteFailed';
    this.code = outcome.code;
  }
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

// Group commit through the writer thread (writer-thread.ts). Writes asked for in the same turn of
// the event loop travel as one batch; each write's statements commit together, and its promise
// resolves only once the commit is on disk. Reads stay on the caller's connection and see a write
// once its promise has resolved.
export class WriteBatcher {
  readonly #worker: Worker;
  readonly #inFlight = new Map<number, Waiter[]>();
  #queue: WriteBatch['writes'] = [];
  #newStatements: WriteBatch['newStatements'] = [];
  readonly #statementIds = new Map<string, number>();
  #waiters: Waiter[] = [];
  #nextId = 1;
  #failed: unknown = null;

  constructor(file: string, onError: (err: unknown) => void, idleCheckpointMs = 1000) {
    this.#worker = new Worker(writerThreadCode(), {
      workerData: { file, idleCheckpointMs },
      execArgv: ['--disable-warning=ExperimentalWarning'],
    });
    this.#worker.on('message', (reply: { id: number; outcomes: WriteOutcome[] }) => this.#settle(reply));
    this.#worker.on('error', (err) => {
      // Without its writer the store can promise nothing: fail what waits and everything after.
      this.#failed = err;
      for (const waiters of this.#inFlight.values()) for (const w of waiters) w.reject(err);
      this.#inFlight.clear();
      onError(err);
    });
  }

  write(ops: readonly WriteOp[]): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#failed) return reject(this.#failed);
      if (this.#queue.length === 0) setImmediate(() => this.flush());
      this.#queue.push(ops.map(([sql, params]) => [this.#statementId(sql), params] as const));
      this.#waiters.push({ resolve, reject });
    });
  }

  // Sends what is queued now; the callers hear back once it is durable.
  flush(): void {
    if (this.#queue.length === 0) return;
    const id = this.#nextId++;
    this.#inFlight.set(id, this.#waiters);
    const batch: WriteBatch = { id, newStatements: this.#newStatements, writes: this.#queue };
    this.#queue = [];
    this.#newStatements = [];
    this.#waiters = [];
    this.#worker.postMessage(batch);
  }

  // Flushes, waits for every write sent, then stops the writer (which closes its connection).
  async close(): Promise<void> {
    this.flush();
    while (this.#inFlight.size > 0 && !this.#failed) await once(this.#worker, 'message');
    const exited = once(this.#worker, 'exit');
    this.#worker.postMessage('close');
    await exited;
  }

  #statementId(sql: string): number {
    let id = this.#statementIds.get(sql);
    if (id === undefined) {
      this.#statementIds.set(sql, (id = this.#statementIds.size));
      this.#newStatements.push([id, sql]);
    }
    return id;
  }

  #settle({ id, outcomes }: { id: number; outcomes: WriteOutcome[] }): void {
    const waiters = this.#inFlight.get(id) ?? [];
    this.#inFlight.delete(id);
    waiters.forEach((w, i) => {
      const outcome = outcomes[i];
      if (outcome) w.reject(new WriteFailed(outcome));
      else w.resolve();
    });
  }
}

// The writer thread's code with its types stripped here, as a data: URL (it imports only node:
// modules). A worker that loads a .ts file itself starts Node's TypeScript stripper, a WebAssembly
// module, in its own isolate: 17 MB of RSS for one small file.
function writerThreadCode(): URL {
  const file = new URL('./writer-thread.ts', import.meta.url);
  const code = `${stripTypeScriptTypes(readFileSync(file, 'utf8'))}\n//# sourceURL=${file.href}\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

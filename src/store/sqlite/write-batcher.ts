import { once } from 'node:events';
import type { SQLInputValue } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { StoreClosed, WriteFailed } from '../errors.ts';

// One statement of a write: SQL and its parameters (positional or named).
type Params = readonly SQLInputValue[] | Readonly<Record<string, SQLInputValue>>;
export type WriteOp = readonly [sql: string, params: Params];
// Statements travel as their SQL text; the writer prepares each once. Posting writes (text and
// parameters) was about 5% of the event loop's busy time under bench:chat: numbering statements to
// send less text would save a part of that, not worth the bookkeeping.
export interface WriteBatch {
  id: number;
  writes: (readonly WriteOp[])[];
}
// Per write: the rows each of its statements changed (an insert that met ON CONFLICT DO NOTHING
// changed none), or why it failed.
export type WriteOutcome = number[] | { message: string; code: string };

interface Waiter {
  resolve: (changes: number[]) => void;
  reject: (err: unknown) => void;
}

// Group commit through the writer thread (writer-thread.ts). Writes asked for in the same turn of
// the event loop travel as one batch; each write's statements commit together, and its promise
// resolves only once the commit is on disk. Reads stay on the caller's connection and see a write
// once its promise has resolved.
export class WriteBatcher {
  readonly #worker: Worker;
  readonly #checkpointer: Worker;
  // Taken at start: a thread that already died has no 'exit' left to wait for at close.
  readonly #exited: Promise<unknown>[];
  readonly #inFlight = new Map<number, Waiter[]>();
  #queue: WriteBatch['writes'] = [];
  #waiters: Waiter[] = [];
  #nextId = 1;
  #failed: unknown = null;
  #closed = false;

  constructor(file: string, onError: (err: unknown) => void, onCheckpointError: (err: Error) => void = () => undefined, checkpointMs = 1000) {
    const execArgv = ['--disable-warning=ExperimentalWarning'];
    this.#worker = new Worker(new URL('./writer-thread.ts', import.meta.url), { workerData: { file }, execArgv });
    this.#checkpointer = new Worker(new URL('./checkpoint-thread.ts', import.meta.url), { workerData: { file, checkpointMs }, execArgv });
    // A checkpoint that fails loses nothing (the WAL holds the commits); the next one tries again.
    this.#checkpointer.on('message', (m: { checkpointFailed: string }) => onCheckpointError(new Error(m.checkpointFailed)));
    this.#checkpointer.on('error', onCheckpointError);
    // Not events.once: that rejects on 'error', which the handlers above already answer.
    this.#exited = [this.#checkpointer, this.#worker].map((w) => new Promise((resolve) => w.once('exit', resolve)));
    this.#worker.on('message', (reply: { id: number; outcomes: WriteOutcome[] }) => this.#settle(reply));
    this.#worker.on('error', (err) => {
      // Without its writer the store can promise nothing: fail what waits and everything after.
      this.#failed = err;
      for (const waiters of this.#inFlight.values()) for (const w of waiters) w.reject(err);
      this.#inFlight.clear();
      onError(err);
    });
  }

  // Why writes cannot be taken (the writer thread died), if they cannot: /healthz says so.
  get failure(): unknown {
    return this.#failed;
  }

  // Resolves once the write is on disk.
  write(ops: readonly WriteOp[]): Promise<void> {
    return this.writeCounting(ops).then(() => undefined);
  }

  // The same, resolving with the rows each statement changed.
  writeCounting(ops: readonly WriteOp[]): Promise<number[]> {
    return new Promise((resolve, reject) => {
      if (this.#failed) return reject(this.#failed);
      if (this.#closed) return reject(new StoreClosed());
      if (this.#queue.length === 0) setImmediate(() => this.flush());
      this.#queue.push(ops);
      this.#waiters.push({ resolve, reject });
    });
  }

  // Sends what is queued now; the callers hear back once it is durable. Queued before the writer died
  // (or the store closed), they hear why at once: sent to no thread, they would never hear back.
  flush(): void {
    if (this.#queue.length === 0) return;
    const refusal = this.#failed ?? (this.#closed ? new StoreClosed() : null);
    if (refusal) {
      for (const w of this.#waiters) w.reject(refusal);
      this.#queue = [];
      this.#waiters = [];
      return;
    }
    const id = this.#nextId++;
    this.#inFlight.set(id, this.#waiters);
    const batch: WriteBatch = { id, writes: this.#queue };
    this.#queue = [];
    this.#waiters = [];
    this.#worker.postMessage(batch);
  }

  // Flushes, waits for every write sent, then stops the checkpointer and the writer (each closes its
  // connection).
  async close(): Promise<void> {
    const [checkpointerExited, writerExited] = this.#exited;
    this.#checkpointer.postMessage('close');
    await checkpointerExited;
    this.flush();
    this.#closed = true;
    while (this.#inFlight.size > 0 && !this.#failed) await once(this.#worker, 'message');
    this.#worker.postMessage('close');
    await writerExited;
  }

  #settle({ id, outcomes }: { id: number; outcomes: WriteOutcome[] }): void {
    const waiters = this.#inFlight.get(id) ?? [];
    this.#inFlight.delete(id);
    waiters.forEach((w, i) => {
      const outcome = outcomes[i]!;
      if (Array.isArray(outcome)) w.resolve(outcome);
      else w.reject(new WriteFailed(outcome.message, outcome.code));
    });
  }
}

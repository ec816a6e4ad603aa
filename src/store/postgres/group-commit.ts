import type pg from 'pg';
import { DomainError } from '../../domain/errors.ts';
import { StoreClosed, WriteFailed } from '../errors.ts';
import { notifyChanges, type Change } from './cluster/change-feed.ts';
import { inTransaction, type Query } from './transaction.ts';

// One write: its statements, run on the batch's transaction. Its parameters are taken when the write
// is asked for (a record may change before its batch commits), and it may run twice (see #commit), so
// it only runs statements. What it returns (or throws) is what its caller gets, once the batch commits.
export type Write<T> = (query: Query) => Promise<T>;

// Rows of one table that the writes of a batch insert together, in one statement (a multi-row INSERT),
// instead of one statement each: one round trip to PostgreSQL for all of them.
export interface BulkInsert {
  // Inserts every row; says for each whether it was stored (false: its conflict clause skipped it).
  insert(query: Query, rows: ReadonlyArray<readonly unknown[]>): Promise<boolean[]>;
  // What the write whose row was skipped fails with (what its own `run` would have thrown).
  skipped(row: readonly unknown[]): unknown;
}

interface Pending {
  run: Write<unknown>;
  // The same write as one row of a bulk insert; `run` does it alone when the batch runs again.
  row?: { into: BulkInsert; values: readonly unknown[] } | undefined;
  // What other nodes hear of this write (cluster/change-feed.ts), NOTIFYed in its transaction.
  changes: readonly Change[];
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

// Bounds a transaction's length (and its locks) when writes pour in faster than one commit takes.
const MAX_BATCH = 1000;

// Group commit on PostgreSQL, the counterpart of SQLite's writer thread (sqlite/write-batcher.ts) with
// the same guarantees. Writes asked for in the same turn of the event loop, and all those asked for
// while a batch commits, go into the next transaction together: one COMMIT, one WAL flush, for a whole
// batch. Each write's promise settles only after its batch's COMMIT; a write that fails fails alone
// (its statements roll back, the rest of its batch commits). One batch at a time per node, in order.
export class GroupCommit {
  readonly #pool: pg.Pool;
  #queue: Pending[] = [];
  #draining: Promise<void> | null = null;
  #closed = false;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  // With `row`, the write is that one row inserted (its result: undefined), gathered with the batch's
  // other rows of the same bulk insert; `run` must do the same alone (the savepoint attempt runs it).
  write<T>(run: Write<T>, changes: readonly Change[] = [], row?: Pending['row']): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreClosed());
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run, row, changes, resolve: resolve as (value: unknown) => void, reject });
      this.#draining ??= new Promise<void>((turn) => setImmediate(turn)).then(() => this.#drain());
    });
  }

  // Takes no more writes; resolves once every write asked for before has settled.
  async close(): Promise<void> {
    this.#closed = true;
    await this.#draining;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      const outcomes = await this.#commit(batch);
      batch.forEach((pending, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) pending.resolve(outcome.value);
        else pending.reject(outcome.error);
      });
    }
    this.#draining = null;
  }

  // The whole batch in one transaction, the rows of each bulk insert in one statement (a row its
  // conflict clause skipped fails its write alone). If a write fails, PostgreSQL aborts that transaction, so the
  // batch runs again with each write in a savepoint of its own: the failed writes roll back alone and
  // the others commit together (a lone bulk row runs again too: its own `run` names what it broke).
  // Nothing is run again once COMMIT was sent: if it fails, or the connection drops then, whether the
  // batch is stored is unknown, and every write of it fails with `maybeCommitted`.
  async #commit(batch: Pending[]): Promise<Outcome[]> {
    const first = await attempt(this.#pool, (query) => together(batch, query));
    if (!(first instanceof AttemptFailed)) return first;
    if (first.stage !== 'writes' || (batch.length === 1 && !batch[0]!.row)) return first.outcomes(batch);
    const second = await attempt(this.#pool, (query) => oneByOne(batch, query));
    return second instanceof AttemptFailed ? second.outcomes(batch) : second;
  }
}

type Stage = 'begin' | 'writes' | 'commit';

// How far a failed attempt got: a failure at COMMIT leaves the batch's outcome unknown.
class AttemptFailed {
  readonly stage: Stage;
  readonly error: unknown;
  constructor(stage: Stage, error: unknown) {
    this.stage = stage;
    this.error = error;
  }

  outcomes(batch: readonly Pending[]): Outcome[] {
    const error = failure(this.error, this.stage === 'commit');
    return batch.map(() => ({ ok: false, error }));
  }
}

async function attempt(pool: pg.Pool, body: (query: Query) => Promise<Outcome[]>): Promise<Outcome[] | AttemptFailed> {
  // An object: TypeScript does not see the closure assign it.
  const reached: { stage: Stage } = { stage: 'begin' };
  try {
    return await inTransaction(pool, async (query) => {
      reached.stage = 'writes';
      const out = await body(query);
      reached.stage = 'commit';
      return out;
    });
  } catch (err) {
    return new AttemptFailed(reached.stage, err);
  }
}

async function together(batch: readonly Pending[], query: Query): Promise<Outcome[]> {
  const out: Outcome[] = [];
  const bulks = new Map<BulkInsert, number[]>();
  for (const [i, pending] of batch.entries()) {
    if (pending.row) {
      out.push({ ok: true, value: undefined });
      const rows = bulks.get(pending.row.into);
      if (rows) rows.push(i);
      else bulks.set(pending.row.into, [i]);
    } else out.push({ ok: true, value: await pending.run(query) });
  }
  for (const [bulk, indexes] of bulks) {
    const stored = await bulk.insert(query, indexes.map((i) => batch[i]!.row!.values));
    indexes.forEach((i, k) => {
      if (!stored[k]) out[i] = { ok: false, error: bulk.skipped(batch[i]!.row!.values) };
    });
  }
  // Delivered at COMMIT, never for a rolled-back batch: other nodes find the rows they are told of.
  await notifyChanges(query, batch.flatMap((p, i) => (out[i]!.ok ? p.changes : [])));
  return out;
}

async function oneByOne(batch: readonly Pending[], query: Query): Promise<Outcome[]> {
  const out: Outcome[] = [];
  const changes: Change[] = [];
  for (const pending of batch) {
    await query('SAVEPOINT write');
    try {
      const value = await pending.run(query);
      await query('RELEASE SAVEPOINT write');
      out.push({ ok: true, value });
      changes.push(...pending.changes);
    } catch (error) {
      await query('ROLLBACK TO SAVEPOINT write');
      out.push({ ok: false, error: failure(error) });
    }
  }
  await notifyChanges(query, changes);
  return out;
}

// The domain's own refusals (client_id_taken) reach the caller as they are; the database's are typed.
export function failure(err: unknown, maybeCommitted = false): unknown {
  if (err instanceof DomainError || err instanceof WriteFailed) return err;
  const { message, code } = err as { message?: string; code?: string };
  return new WriteFailed(message ?? String(err), code ?? 'ERR_POSTGRES', { cause: err, maybeCommitted });
}

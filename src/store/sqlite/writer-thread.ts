// The database's one writer, on a worker thread. It commits what the event loop sends with
// synchronous=FULL, so a reply means "on disk", and it checkpoints the WAL back into the database
// file; none of those syncs stall the thread that answers customers and agents. Everything that
// arrived while the previous commit was syncing goes into the next transaction together.
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { WriteBatch, WriteOutcome } from './write-batcher.ts';

const { file, idleCheckpointMs } = workerData as { file: string; idleCheckpointMs: number };
const port = parentPort!;
const db = new DatabaseSync(file);
// Automatic checkpoints run here, after a commit, every 2,000 WAL pages (8 MB). A checkpoint holds up
// the next commit while it copies pages back and syncs the database file: at 10,000 pages that was
// a 50-100 ms stall about once a second under bench:chat. With the timeline index written a chat at
// a time (timeline-index.ts) a commit writes a few dozen pages, not hundreds, and the shorter
// interval costs no throughput; a checkpoint thread did as well but cost 13 MB of RSS. Quiet
// periods get a checkpoint too. An 8 MB page cache (SQLite's default is 2 MB) keeps the index pages
// that commits touch in memory.
db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;
  PRAGMA wal_autocheckpoint = 2000; PRAGMA cache_size = -8000;`);
const sqlOf: string[] = [];
const statements: StatementSync[] = [];
let idleTimer: NodeJS.Timeout | undefined;

function run([id, params]: WriteBatch['writes'][number][number]): void {
  // Prepared at first use, inside the write's transaction: bad SQL fails that write alone.
  const statement = (statements[id] ??= db.prepare(sqlOf[id]!));
  if (Array.isArray(params)) statement.run(...params);
  else statement.run(params as Record<string, SQLInputValue>);
}

// The twin of database.ts's inTransaction: this file runs from a data: URL and imports node: modules only.
function transaction(body: () => void): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    body();
    db.exec('COMMIT');
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

// One transaction for all; if it fails, each write alone, so a bad write fails by itself.
function commit(writes: WriteBatch['writes']): WriteOutcome[] {
  try {
    transaction(() => writes.forEach((ops) => ops.forEach(run)));
    return writes.map(() => null);
  } catch {
    return writes.map((ops) => {
      try {
        transaction(() => ops.forEach(run));
        return null;
      } catch (err) {
        return { message: (err as Error).message, code: (err as { code?: string }).code ?? 'ERR_SQLITE_ERROR' };
      }
    });
  }
}

port.on('message', (first: WriteBatch | 'close') => {
  const batches: WriteBatch[] = [];
  let closing = false;
  for (let message: unknown = first; message !== undefined; message = receiveMessageOnPort(port)?.message) {
    if (message === 'close') closing = true;
    else {
      const batch = message as WriteBatch;
      for (const [id, sql] of batch.newStatements) sqlOf[id] = sql;
      batches.push(batch);
    }
  }
  if (batches.length > 0) {
    const outcomes = commit(batches.flatMap((b) => b.writes));
    let at = 0;
    for (const batch of batches) {
      port.postMessage({ id: batch.id, outcomes: outcomes.slice(at, at + batch.writes.length) });
      at += batch.writes.length;
    }
  }
  clearTimeout(idleTimer);
  if (closing) {
    db.close(); // the database file is checkpointed by whichever connection closes last
    port.close();
    return;
  }
  idleTimer = setTimeout(() => db.exec('PRAGMA wal_checkpoint(PASSIVE)'), idleCheckpointMs);
});

// The database's one writer, on a worker thread. It commits what the event loop sends with
// synchronous=FULL, so a reply means "on disk"; its syncs never stall the thread that answers
// customers and agents. Everything that arrived while the previous commit was syncing goes into the
// next transaction together. The WAL is checkpointed by checkpoint-thread.ts, never in a commit.
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { configure, inTransaction } from './database.ts';
import type { WriteBatch, WriteOp, WriteOutcome } from './write-batcher.ts';

const { file } = workerData as { file: string };
const port = parentPort!;
const db = new DatabaseSync(file);
// Every message dirties its chat's page in both unique indexes, (interaction, seq) and client ids: a
// commit of 500 messages from 500 chats writes about 1,000 pages. SQLite's automatic checkpoint (every
// 1,000 WAL pages; 2,000 here before) then ran inside nearly every COMMIT, before its replies, and
// wrote those pages a second time. The checkpoint thread copies them once a second instead (each hot
// page once for dozens of commits). The 16 MB page cache keeps the index pages that commits touch
// (with 8 MB they were read again).
// bench:chat, product/relay throughput: 0.35x with a 2,000-page automatic checkpoint and 8 MB, about
// 0.5x (12,700-16,500 msg/s) with these.
configure(db);
db.exec('PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -16000;');
const statements = new Map<string, StatementSync>();

function run([sql, params]: WriteOp): number {
  let statement = statements.get(sql);
  // Prepared at first use, inside the write's transaction: bad SQL fails that write alone.
  if (!statement) statements.set(sql, (statement = db.prepare(sql)));
  const result = Array.isArray(params) ? statement.run(...params) : statement.run(params as Record<string, SQLInputValue>);
  return Number(result.changes);
}

// One transaction for all; if it fails, each write alone, so a bad write fails by itself.
function commit(writes: WriteBatch['writes']): WriteOutcome[] {
  try {
    return inTransaction(db, () => writes.map((ops) => ops.map(run)));
  } catch {
    return writes.map((ops) => {
      try {
        return inTransaction(db, () => ops.map(run));
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
    else batches.push(message as WriteBatch);
  }
  if (batches.length > 0) {
    const outcomes = commit(batches.flatMap((b) => b.writes));
    let at = 0;
    for (const batch of batches) {
      port.postMessage({ id: batch.id, outcomes: outcomes.slice(at, at + batch.writes.length) });
      at += batch.writes.length;
    }
  }
  if (closing) {
    db.close(); // the database file is checkpointed by whichever connection closes last
    port.close();
  }
});

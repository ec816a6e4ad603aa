// Runs in a worker thread with its own connection: copies the WAL back into the database file
// (PRAGMA wal_checkpoint), which syncs both files. Done here, those syncs never stall the event
// loop that answers customers and agents.
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const db = new DatabaseSync(file);
db.exec('PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');

let timer: NodeJS.Timeout | undefined;
const run = () => {
  const row = checkpoint.get() as { busy: number; log: number; checkpointed: number } | undefined;
  // Behind under load: go again at once; caught up: wait for more.
  const behind = row !== undefined && row.log > 0 && row.checkpointed < row.log;
  timer = setTimeout(run, behind ? 0 : intervalMs);
};
timer = setTimeout(run, intervalMs);

parentPort?.on('message', (msg: unknown) => {
  if (msg !== 'stop') return;
  clearTimeout(timer);
  db.close();
  parentPort?.close();
});

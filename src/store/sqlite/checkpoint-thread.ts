// Copies committed pages from the WAL back into the database file, on a thread of its own, a few
// times a second. The writer's own automatic checkpoint (writer-thread.ts) then finds little left to
// copy: it was the writer's longest stall (50-100 ms every second under bench:chat, held by every
// message of that commit), and now it only copies what came since the last pass here. The writer's
// checkpoint is still needed: only it runs when no commit is adding pages, so only it lets the WAL
// start over from its beginning instead of growing.
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const port = parentPort!;
const db = new DatabaseSync(file);
db.exec('PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;');

// PASSIVE: never waits for the writer or readers; what it cannot copy now, it copies next time.
const timer = setInterval(() => db.exec('PRAGMA wal_checkpoint(PASSIVE)'), intervalMs);

port.on('message', (message: unknown) => {
  if (message !== 'close') return;
  clearInterval(timer);
  db.close();
  port.close();
});

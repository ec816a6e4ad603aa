// Folds the WAL back into the database file, on a thread and a connection of its own. A PASSIVE
// checkpoint takes no lock a writer needs, so commits go on while it copies pages and syncs the file.
// When the writer thread ran it between commits, each one (38 ms on average, 96 ms at worst under
// bench:chat) held every commit that arrived meanwhile, and so every acknowledgement.
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { configure } from './database.ts';

const { file, checkpointMs } = workerData as { file: string; checkpointMs: number };
const port = parentPort!;
const db = new DatabaseSync(file);
configure(db);

// One that fails (say, busy while another connection closes) leaves the WAL longer until the next.
const timer = setInterval(() => {
  try {
    db.exec('PRAGMA wal_checkpoint(PASSIVE)');
  } catch (err) {
    port.postMessage({ checkpointFailed: (err as Error).message });
  }
}, checkpointMs);

port.on('message', (message: unknown) => {
  if (message !== 'close') return;
  clearInterval(timer);
  db.close();
  port.close();
});

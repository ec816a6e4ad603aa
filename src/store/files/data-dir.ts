import { chmodSync, mkdirSync } from 'node:fs';

// The data folder holds what customers sent (database, WAL, photos) and the local Asterisk's
// credentials: only this server's user may read it, whatever umask it was started with. The process
// umask covers every file made later by this process and by the Asterisk it starts (SQLite's WAL and
// shared-memory files, photos, generated configuration); the folder itself is made, or tightened if an
// older version made it, 0700, so files made before stay unreachable to other users.
export function privateDataDir(dir: string): void {
  process.umask(0o077);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

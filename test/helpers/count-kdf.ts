// Preloaded into a test server (`--import`) to count the password KDF's runs: each call of scrypt
// appends a line to the file named by KDF_RUNS_FILE. The real scrypt still runs, with what it was given.
import crypto from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const file = process.env.KDF_RUNS_FILE;
if (!file) throw new Error('count-kdf.ts needs KDF_RUNS_FILE');
const scrypt = crypto.scrypt;
crypto.scrypt = ((...args: Parameters<typeof scrypt>) => {
  appendFileSync(file, 'scrypt\n');
  return scrypt(...args);
}) as typeof scrypt;
// `import { scrypt } from 'node:crypto'` in the server's modules then gets this one too.
syncBuiltinESMExports();

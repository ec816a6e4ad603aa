// Where a separately run Asterisk (`npm run asterisk`) is: ARI_URL, ARI_USER and ARI_PASSWORD as
// KEY=value lines, written by that command and read by the nodes that ASTERISK_ENV_FILE points at it.
import { readFileSync } from 'node:fs';
import { chmod, rename, writeFile } from 'node:fs/promises';

export const ENV_FILE_KEYS = ['ARI_URL', 'ARI_USER', 'ARI_PASSWORD'] as const;
export type AsteriskEnv = Record<(typeof ENV_FILE_KEYS)[number], string>;

// Written whole, then renamed into place: a node reading it never sees half a file. 0600: it holds
// the ARI password.
export async function writeAsteriskEnv(path: string, env: AsteriskEnv): Promise<void> {
  const text = ENV_FILE_KEYS.map((key) => `${key}=${env[key]}`).join('\n') + '\n';
  const partial = `${path}.partial`;
  await writeFile(partial, text, { mode: 0o600 });
  await chmod(partial, 0o600);
  await rename(partial, path);
}

// The file's ARI_* values (other lines, blank lines and # comments are ignored). Throws, naming the
// file, when it cannot be read or lacks one of them.
export function readAsteriskEnv(path: string): AsteriskEnv {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`ASTERISK_ENV_FILE ${path} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z_]+)=(.*)$/.exec(line);
    if (m) values.set(m[1]!, m[2]!.trim());
  }
  const missing = ENV_FILE_KEYS.filter((key) => !values.get(key));
  if (missing.length) throw new Error(`ASTERISK_ENV_FILE ${path} lacks ${missing.join(', ')}`);
  return Object.fromEntries(ENV_FILE_KEYS.map((key) => [key, values.get(key)!])) as AsteriskEnv;
}

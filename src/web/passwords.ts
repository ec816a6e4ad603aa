import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// scrypt, a memory-hard KDF built into Node: "scrypt$N$r$p$salt$hash", all base64url.
const PARAMS = { N: 16384, r: 8, p: 1 };
const KEY_LEN = 32;

function derive(password: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LEN, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

// The demo agents' password when DEMO_AGENT_PASSWORD is not set: known to everyone who read the README,
// so it is accepted only from this machine (see auth.ts).
export const WELL_KNOWN_PASSWORD = 'demo';

// Unknown usernames are checked against a hash of a password nobody knows, so a login costs the same
// whether the username exists or not, and the time of the answer does not tell which usernames do.
let nobodysHash: Promise<string> | undefined;

export async function verifyAgentPassword(password: string, stored: string | undefined): Promise<boolean> {
  if (stored !== undefined) return verifyPassword(password, stored);
  await verifyPassword(password, await (nobodysHash ??= hashPassword(randomBytes(32).toString('base64url'))));
  return false;
}

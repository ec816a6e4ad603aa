// bench:login: what a refused login costs for an unknown username against a known one, on the real
// server (npm start's flags). ROUNDS times each, alternately, a wrong password for agent1 and for a
// username nobody has; prints the medians and their ratio (about 1: the answer's time does not tell
// which usernames exist; test/integration/login-security.test.ts checks the hashing runs for both).
import { performance } from 'node:perf_hooks';
import { openLoginForm } from '../test/helpers/fixtures.ts';
import { removeDir, startServer, type TestServer } from '../test/helpers/server.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 21);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function refusedMs(server: TestServer, username: string): Promise<number> {
  const send = await openLoginForm(server);
  const start = performance.now();
  const res = await send(username, 'not-the-password');
  const ms = performance.now() - start;
  await res.text();
  if (res.status !== 401) throw new Error(`expected 401 for ${username}, got ${res.status}`);
  return ms;
}

// No throttle in the way: every attempt is checked.
const server = await startServer({ env: { LOGIN_ATTEMPTS_BEFORE_BACKOFF: '100000', LOGIN_FAILS_PER_ADDRESS_PER_HOUR: '100000' } });
try {
  await refusedMs(server, 'agent1');
  await refusedMs(server, 'nobody-at-all'); // the first of each warms up what is made once
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    known.push(await refusedMs(server, 'agent1'));
    unknown.push(await refusedMs(server, `nobody-${i}`));
  }
  const [k, u] = [median(known), median(unknown)];
  console.log(`refused login, median of ${ROUNDS}: known username ${k.toFixed(1)} ms, unknown ${u.toFixed(1)} ms, ratio unknown/known ${(u / k).toFixed(2)}`);
} finally {
  await server.stop();
  await removeDir(server.dataDir);
}

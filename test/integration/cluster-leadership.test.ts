// Leadership is PostgreSQL's advisory lock: one holder at a time; a killed leader's lock is taken by
// a waiting node within a second or two; a leader that loses its lock connection stops (exits).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import pg from 'pg';
import t from 'tap';
import { startPostgres } from '../helpers/postgres.ts';

const HOLDER = new URL('../helpers/lock-holder.ts', import.meta.url).pathname;

interface Holder {
  child: ChildProcess;
  lines: string[];
  next(prefix: string, timeoutMs: number): Promise<{ line: string; at: number }>;
  exited: Promise<number | null>;
}

function startHolder(url: string, nodeId: string): Holder {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', HOLDER], { env: { ...process.env, DATABASE_URL: url, NODE_ID: nodeId }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: { prefix: string; resolve: (v: { line: string; at: number }) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.filter((w) => line.startsWith(w.prefix))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve({ line, at: Date.now() });
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    next(prefix, timeoutMs) {
      const seen = lines.find((l) => l.startsWith(prefix));
      if (seen) return Promise.resolve({ line: seen, at: Date.now() });
      return new Promise((resolve, reject) => {
        waiters.push({ prefix, resolve });
        setTimeout(() => reject(new Error(`${nodeId}: no "${prefix}" within ${timeoutMs} ms (saw: ${lines.join(' | ')})`)), timeoutMs).unref();
      });
    },
  };
}

t.test('a killed leader is replaced by a waiting node', async (t) => {
  const postgres = await startPostgres();
  t.teardown(() => postgres.stop());
  const url = await postgres.newDatabase();

  const a = startHolder(url, 'node-a');
  t.teardown(() => void a.child.kill('SIGKILL'));
  await a.next('leader', 10_000);
  const b = startHolder(url, 'node-b');
  t.teardown(() => void b.child.kill('SIGKILL'));
  await b.next('started', 10_000);
  // b has tried the lock a few times by now, and failed each time.
  await new Promise((r) => setTimeout(r, 2500));
  t.notOk(b.lines.some((l) => l.startsWith('leader')), 'one leader at a time');

  const killedAt = Date.now();
  a.child.kill('SIGKILL');
  const won = await b.next('leader', 30_000);
  const takeoverMs = won.at - killedAt;
  t.comment(`takeover after kill -9 of the leader: ${takeoverMs} ms`);
  t.pass('b leads after a was killed (how fast is bench:failover\'s to print, not a test\'s to assert)');
});

t.test('a leader whose lock connection is cut stops (exits non-zero)', async (t) => {
  const postgres = await startPostgres();
  t.teardown(() => postgres.stop());
  const url = await postgres.newDatabase();
  const a = startHolder(url, 'node-a');
  t.teardown(() => void a.child.kill('SIGKILL'));
  await a.next('leader', 10_000);

  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  t.teardown(() => admin.end());
  const { rows } = await admin.query<{ n: number }>(`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = 'mcc-leader-lock:node-a'`);
  t.equal(rows[0]!.n, 1, "the leader's lock session was terminated");
  t.equal(await a.exited, 3, 'the leader noticed and exited (a supervisor restarts it as a follower)');
  t.match(a.lines.join('\n'), /lost leadership lost/);
});

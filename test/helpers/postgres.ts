// A private PostgreSQL 15 cluster for one test file: initdb + pg_ctl on a free loopback port under a
// temporary folder. PostgreSQL refuses to run as root, so as root it runs as the package's `postgres`
// user (scripts/install-cluster-tools.sh installs the package). Nothing listens outside 127.0.0.1.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';
const USER = 'app';

export interface TestPostgres {
  // The cluster's `postgres` database; `newDatabase()` gives each test a database of its own.
  url: string;
  port: number;
  newDatabase(): Promise<string>;
  stop(): Promise<void>;
}

// pg 9 drops the client's query queue: a query sent on a client while another runs there will fail
// then. pg 8 only warns; in a process that runs a private PostgreSQL the warning ends the test file
// (an uncaught error), so neither the stores nor the tests come to rely on it.
function failOnPg9Removals(warning: Error): void {
  if (warning.name === 'DeprecationWarning' && warning.message.includes('pg@9')) throw warning;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

// Commands run as `postgres` when we are root, else as ourselves.
async function asOwner(cmd: string, args: string[]): Promise<void> {
  if (userInfo().uid === 0) {
    const line = [cmd, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    await run('su', ['postgres', '-s', '/bin/sh', '-c', line]);
  } else {
    await run(cmd, args);
  }
}

async function ownerIds(): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const { stdout } = await run('id', ['postgres']);
  const uid = Number(/uid=(\d+)/.exec(stdout)?.[1]);
  const gid = Number(/gid=(\d+)/.exec(stdout)?.[1]);
  return { uid, gid };
}

export async function startPostgres(): Promise<TestPostgres> {
  if (!process.listeners('warning').includes(failOnPg9Removals)) process.on('warning', failOnPg9Removals);
  const dir = await mkdtemp(join(tmpdir(), 'mcc-pg-'));
  await chmod(dir, 0o700);
  const ids = await ownerIds();
  if (ids) await chown(dir, ids.uid, ids.gid);
  const dataDir = join(dir, 'db');
  await asOwner(`${BIN}/initdb`, ['-D', dataDir, '-A', 'trust', '-U', USER, '-E', 'UTF8', '--no-locale']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
  await asOwner(`${BIN}/pg_ctl`, ['-D', dataDir, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  const url = `postgres://${USER}@127.0.0.1:${port}/postgres`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await asOwner(`${BIN}/pg_ctl`, ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  // A crashed test must not leave a server behind.
  process.once('exit', () => {
    if (stopped) return;
    const args = ['-D', dataDir, '-m', 'immediate', 'stop'];
    try {
      if (ids) execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', `${BIN}/pg_ctl ${args.join(' ')}`], { stdio: 'ignore' });
      else execFileSync(`${BIN}/pg_ctl`, args, { stdio: 'ignore' });
    } catch {
      // already down
    }
  });
  return {
    url,
    port,
    stop,
    async newDatabase() {
      const name = `t_${randomBytes(6).toString('hex')}`;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://${USER}@127.0.0.1:${port}/${name}`;
    },
  };
}

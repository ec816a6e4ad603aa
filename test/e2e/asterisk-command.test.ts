// `npm run asterisk`: the project's Asterisk alone in the foreground. It writes $DATA_DIR/asterisk.env,
// is started again after kill -9 with the same ports and password (the file stays true), and ends
// cleanly on SIGTERM to npm, Asterisk with it (npm passes the signal to its child, which the script's
// `exec` makes the command itself rather than a shell).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { eventually } from '../helpers/eventually.ts';
import { removeDir } from '../helpers/server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
type Line = { msg?: string; pid?: number; asteriskPid?: number; restarts?: number; envFile?: string };

t.test('npm run asterisk writes the env file, restarts after kill -9, stops on SIGTERM', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mcc-asterisk-cmd-'));
  const child = spawn('npm', ['run', '--silent', 'asterisk'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, ASTERISK_HTTP_PORT: '0', ASTERISK_SIP_PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = () => output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
  const line = (msg: string) => lines().filter((l) => l.msg === msg);
  let asteriskPid: number | undefined;
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    if (asteriskPid) process.kill(asteriskPid, 'SIGKILL'); // pdeathsig ends it anyway; this is belt and braces
    await removeDir(dataDir);
  });

  const running = await eventually('asterisk running', () => line('asterisk running')[0], 60_000).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}\n--- output ---\n${output}`);
  });
  asteriskPid = running.asteriskPid;
  const envFile = join(dataDir, 'asterisk.env');
  t.equal(running.envFile, envFile, 'it says where the env file is');
  const text = await readFile(envFile, 'utf8');
  t.match(text, /^ARI_URL=http:\/\/127\.0\.0\.1:\d+\nARI_USER=contact-center\nARI_PASSWORD=\S{20,}\n$/, 'ARI_URL, ARI_USER, ARI_PASSWORD as KEY=value lines');
  t.equal((await stat(envFile)).mode & 0o777, 0o600, 'readable by its owner only');
  const env = Object.fromEntries(text.trim().split('\n').map((l) => l.split(/=(.*)/s, 2) as [string, string]));
  const info = async () => {
    const res = await fetch(`${env.ARI_URL}/ari/asterisk/info`, { headers: { authorization: 'Basic ' + Buffer.from(`${env.ARI_USER}:${env.ARI_PASSWORD}`).toString('base64') } });
    return res.ok ? ((await res.json()) as { status: { startup_time: string } }) : undefined;
  };
  const first = await info();
  t.ok(first, 'ARI answers with the credentials of the file');

  process.kill(running.asteriskPid!, 'SIGKILL');
  const restarted = await eventually('asterisk restarted', () => line('asterisk restarted')[0], 30_000);
  asteriskPid = restarted.asteriskPid;
  t.equal(restarted.restarts, 1, 'it was started again, and says so');
  t.not(restarted.asteriskPid, running.asteriskPid, 'as a new process');
  const second = await eventually('ARI answers again', info, 10_000);
  t.not(second.status.startup_time, first!.status.startup_time, 'a new Asterisk answers at the same URL with the same password');
  t.equal(await readFile(envFile, 'utf8'), text, 'the env file is still true');

  const command = running.pid!; // the node process running src/asterisk-cli.ts
  process.kill(child.pid!, 'SIGTERM'); // npm's
  await eventually('stopped', () => line('stopped')[0], 15_000);
  t.pass('SIGTERM stops Asterisk, then the command');
  await eventually('the command exited', async () => {
    try {
      process.kill(command, 0);
      return undefined;
    } catch {
      return true;
    }
  }, 5000);
  t.equal(await exited, 0, 'npm run asterisk exits 0');
  await eventually('Asterisk gone', async () => ((await info().catch(() => undefined)) ? undefined : true), 10_000);
  t.pass('Asterisk ended with it');
  t.throws(() => process.kill(restarted.asteriskPid!, 0), 'its process is gone');
  asteriskPid = undefined;
});

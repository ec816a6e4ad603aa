// Starts the real server (src/main.ts) as a child process for integration and e2e tests, and reads its log.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface TestServer {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  stop(): Promise<void>;
  logs(): string;
}

export interface StartServerOptions {
  env?: Record<string, string>;
  dataDir?: string;
  nodeArgs?: string[]; // added to npm start's node flags (e.g. --cpu-prof for a benchmark's profile)
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The server runs exactly as `npm start` runs it: the same environment settings (malloc arenas) and
// node flags (heap sizing), taken from package.json's start script: `NAME=value ... node args...`.
const START_WORDS = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.split(/\s+/);
const START_ENV = Object.fromEntries(START_WORDS.filter((w) => /^[A-Z_]+=/.test(w)).map((w) => w.split('=', 2) as [string, string]));
const START_ARGS = START_WORDS.slice(START_WORDS.indexOf('node') + 1);
const LISTEN_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const MAX_LOG_CHARS = 4_000_000;

// Children still running when the test process exits are killed, so none outlives a crashed test.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startServer(opts: StartServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'mcc-test-')));
  const args = opts.nodeArgs ? [...START_ARGS.slice(0, -1), ...opts.nodeArgs, ...START_ARGS.slice(-1)] : START_ARGS;
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      ...START_ENV,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      DEMO_AGENT_PASSWORD: 'demo',
      TELEPHONY: 'off', // voice tests ask for 'local' (a real Asterisk) explicitly
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);

  let output = '';
  const append = (text: string) => {
    output += text;
    if (output.length > MAX_LOG_CHARS) output = output.slice(-MAX_LOG_CHARS);
  };

  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running.delete(child);
      resolve();
    });
  });
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;

  const listening = new Promise<number>((resolve, reject) => {
    let pending = '';
    let settled = false;
    const settle = (error: Error | null, value?: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(value as number);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle(new Error(`server did not log "listening" within ${LISTEN_TIMEOUT_MS} ms\n--- output ---\n${output}`));
    }, LISTEN_TIMEOUT_MS);

    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      append(chunk);
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        const listeningPort = parseListening(line);
        if (listeningPort !== undefined) settle(null, listeningPort);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => append(chunk));
    child.once('error', (error) => {
      settle(new Error(`could not start server: ${error.message}\n--- output ---\n${output}`));
    });
    child.once('exit', (code, signal) => {
      // Let the pipes drain so the error shows everything the server printed.
      setImmediate(() =>
        settle(new Error(`server exited (code ${code}, signal ${signal}) before listening\n--- output ---\n${output}`)),
      );
    });
  });

  let port: number;
  try {
    port = await listening;
  } catch (error) {
    // The caller never sees a data dir it did not give, so clean up the one made here.
    if (opts.dataDir === undefined) await removeDir(dataDir);
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    port,
    dataDir,
    logs: () => output,
    stop() {
      stopping ??= (async () => {
        if (hasExited()) return;
        child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS);
        });
        const slow = await Promise.race([exited.then(() => false), timedOut]);
        clearTimeout(timer);
        if (slow && !hasExited()) {
          child.kill('SIGKILL');
          await exited;
        }
      })();
      return stopping;
    },
  };
}

function parseListening(line: string): number | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry: unknown = JSON.parse(line);
    if (typeof entry !== 'object' || entry === null) return undefined;
    const { msg, port } = entry as { msg?: unknown; port?: unknown };
    return msg === 'listening' && typeof port === 'number' ? port : undefined;
  } catch {
    return undefined;
  }
}

export async function removeDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

// The server's log lines (pino JSON) with this message.
export function logEntries(server: Pick<TestServer, 'logs'>, msg: string): Array<Record<string, unknown>> {
  return server
    .logs()
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes(msg))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e.msg === msg);
}

// The first entry of `msg`, once the server has logged it: what a server does once it is up (reconciling
// with Asterisk after taking the lead) may be logged a moment after the test sees it up.
export async function firstLogEntry(server: Pick<TestServer, 'logs'>, msg: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  for (const started = Date.now(); ; await new Promise((resolve) => setTimeout(resolve, 50))) {
    const entry = logEntries(server, msg)[0];
    if (entry) return entry;
    if (Date.now() - started > timeoutMs) throw new Error(`the server did not log "${msg}" within ${timeoutMs} ms`);
  }
}

// A test that failed prints the end of its server's log: in CI nothing else of it is kept.
const FAILURE_LOG_LINES = 80;
export function printLogIfFailed(t: { passing(): boolean }, server: Pick<TestServer, 'logs' | 'pid'>, name = 'server'): void {
  if (t.passing()) return;
  const lines = server.logs().trimEnd().split('\n').slice(-FAILURE_LOG_LINES).map((line) => line.slice(0, 500));
  console.error(`--- the last ${lines.length} lines of the ${name}'s log (pid ${server.pid}), as the test failed ---\n${lines.join('\n')}\n---`);
}

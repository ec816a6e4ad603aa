// A private HAProxy for a test, in front of servers on loopback ports, run from the project's own
// sample deploy/haproxy.cfg: the test config is that file with only its addresses changed (the
// frontend's bind, the stats page's bind, the server lines), so what the tests check is what admins
// deploy. HAProxy runs in the foreground (`haproxy -f FILE -db`) and is stopped with the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from './eventually.ts';
import { freePort } from './postgres.ts';

export const SAMPLE_CONFIG = fileURLToPath(new URL('../../deploy/haproxy.cfg', import.meta.url));
/** The names the sample gives its sections (the helper changes lines in these three only). */
export const FRONTEND = 'contact_center';
export const BACKEND = 'nodes';
export const STATS = 'stats';

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const MAX_LOG_CHARS = 1_000_000;

export interface RenderOptions {
  listenPort: number;
  statsPort: number;
  /** One server line per port, named node1, node2, ... in this order, all on 127.0.0.1. */
  backendPorts: number[];
}

interface Section {
  kind: string;
  name: string;
  lines: string[];
}

const SECTION = /^(global|defaults|frontend|backend|listen|resolvers|peers|userlist|program|http-errors|ring|cache|mailers)\b\s*(\S*)/;
const isDirective = (line: string, keyword: string) => new RegExp(`^\\s+${keyword}\\s`).test(line);

// The file as sections (whatever precedes the first section keeps kind '').
function sectionsOf(text: string): Section[] {
  const sections: Section[] = [{ kind: '', name: '', lines: [] }];
  for (const line of text.split('\n')) {
    const header = SECTION.exec(line);
    if (header) sections.push({ kind: header[1]!, name: header[2]!, lines: [line] });
    else sections.at(-1)!.lines.push(line);
  }
  return sections;
}

function section(sections: Section[], kind: string, name: string): Section {
  const found = sections.find((s) => s.kind === kind && s.name === name);
  if (!found) throw new Error(`deploy/haproxy.cfg has no "${kind} ${name}" section; test/helpers/haproxy.ts expects it`);
  return found;
}

// Replaces every `keyword ...` line of the section with `replacement` lines, at the first one's place.
function replaceDirective(s: Section, keyword: string, replacement: (first: string) => string[]): void {
  const at = s.lines.findIndex((l) => isDirective(l, keyword));
  if (at < 0) throw new Error(`deploy/haproxy.cfg: "${s.kind} ${s.name}" has no ${keyword} line; test/helpers/haproxy.ts expects one`);
  const first = s.lines[at]!;
  const rest = s.lines.filter((l, i) => i <= at || !isDirective(l, keyword));
  rest.splice(at, 1, ...replacement(first));
  s.lines = rest;
}

/**
 * The sample config with loopback addresses of the test's choosing: the frontend listens on
 * 127.0.0.1:listenPort (its other bind lines, such as a TLS one an admin enabled, are dropped), the
 * stats page on 127.0.0.1:statsPort, and the backend has one server per port, each with the options
 * the sample's first server line has after its address. Everything else is the sample as it is.
 */
export function renderHaproxyConfig(sample: string, opts: RenderOptions): string {
  if (opts.backendPorts.length === 0) throw new Error('renderHaproxyConfig: at least one backend port');
  const sections = sectionsOf(sample);
  replaceDirective(section(sections, 'frontend', FRONTEND), 'bind', () => [`    bind 127.0.0.1:${opts.listenPort}`]);
  replaceDirective(section(sections, 'listen', STATS), 'bind', () => [`    bind 127.0.0.1:${opts.statsPort}`]);
  replaceDirective(section(sections, 'backend', BACKEND), 'server', (first) => {
    // server <name> <address> [options...]
    const options = first.trim().split(/\s+/).slice(3).join(' ');
    return opts.backendPorts.map((port, i) => `    server node${i + 1} 127.0.0.1:${port}${options ? ` ${options}` : ''}`);
  });
  return sections.flatMap((s) => s.lines).join('\n');
}

export function haproxyBinary(): string {
  for (const candidate of [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/usr/local/sbin'].map((d) => join(d, 'haproxy'))) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error('haproxy is not installed: run `bash scripts/install-cluster-tools.sh` as root (npm install does)');
}

export interface ServerState {
  /** HAProxy's view: UP, DOWN, "UP 1/2" (going down), "DOWN 1/2" (coming up), MAINT, ... */
  status: string;
  /** Sessions (requests and sockets) HAProxy sent to this server so far. */
  sessions: number;
}

export interface TestHaproxy {
  url: string;
  port: number;
  statsUrl: string;
  pid: number;
  configFile: string;
  /** The backend's servers (node1, node2, ...) as the stats page shows them now. */
  servers(): Promise<Record<string, ServerState>>;
  logs(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts HAProxy with the sample config in front of `backendPorts` and waits until it answers. */
export async function startHaproxy(backendPorts: number[]): Promise<TestHaproxy> {
  const binary = haproxyBinary();
  const dir = await mkdtemp(join(tmpdir(), 'mcc-haproxy-'));
  const listenPort = await freePort();
  const statsPort = await freePort();
  const configFile = join(dir, 'haproxy.cfg');
  await writeFile(configFile, renderHaproxyConfig(await readFile(SAMPLE_CONFIG, 'utf8'), { listenPort, statsPort, backendPorts }));

  const child = spawn(binary, ['-f', configFile, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const append = (chunk: string) => {
    output = (output + chunk).slice(-MAX_LOG_CHARS);
  };
  child.stdout!.setEncoding('utf8').on('data', append);
  child.stderr!.setEncoding('utf8').on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;
  child.once('error', (err) => append(`\nspawn error: ${err.message}\n`));

  const statsUrl = `http://127.0.0.1:${statsPort}/`;
  const servers = async (): Promise<Record<string, ServerState>> => {
    const csv = await (await fetch(`${statsUrl};csv`, { signal: AbortSignal.timeout(2000) })).text();
    const [header = '', ...rows] = csv.trim().split('\n');
    const columns = header.replace(/^#\s*/, '').split(',');
    const col = (name: string) => columns.indexOf(name);
    const result: Record<string, ServerState> = {};
    for (const row of rows) {
      const cells = row.split(',');
      const [pxname, svname] = [cells[col('pxname')], cells[col('svname')]];
      if (pxname !== BACKEND || svname === 'BACKEND') continue;
      result[svname!] = { status: cells[col('status')] ?? '', sessions: Number(cells[col('stot')]) };
    }
    return result;
  };

  const stop = async () => {
    if (hasExited()) return;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const slow = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), STOP_TIMEOUT_MS)))]);
    clearTimeout(timer);
    if (slow && !hasExited()) {
      child.kill('SIGKILL');
      await exited;
    }
  };

  try {
    await eventually(
      'HAProxy to answer on its stats page',
      async () => {
        if (hasExited()) throw new Error(`haproxy exited (code ${child.exitCode}, signal ${child.signalCode})`);
        return Object.keys(await servers()).length === backendPorts.length ? true : undefined;
      },
      START_TIMEOUT_MS,
    );
  } catch (error) {
    await stop();
    await rm(dir, { recursive: true, force: true });
    throw new Error(`HAProxy did not start: ${(error as Error).message}\n--- output ---\n${output}`, { cause: error });
  }

  return {
    url: `http://127.0.0.1:${listenPort}`,
    port: listenPort,
    statsUrl,
    pid: child.pid!,
    configFile,
    servers,
    logs: () => output,
    async stop() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// Runs an Asterisk instance with the project's asterisk-config/ for `npm start` and the tests.
//
// findAsterisk() says which Asterisk is used: an `asterisk` installed on the host, else the Debian sid
// chroot built by scripts/provision-asterisk.sh. startAsterisk() writes one instance's configuration into
// its runtime directory (the admins' files as they are, plus generated includes holding the ports and
// freshly generated secrets), starts `asterisk -f`, waits until ARI answers, and hands back the URLs and
// credentials. Several instances can run side by side, each with its own runtime directory and ports.
//
// In the chroot, each instance runs in a private mount namespace (unshare): its runtime directory is
// bind-mounted at /srv/mobile-contact-center and /proc is mounted there, visible to that instance only.
// The kernel drops those mounts when the instance ends, however it ends, so nothing is left mounted.
// The instance also gets SIGTERM when the Node process that started it dies (setpriv --pdeathsig).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AsteriskLogger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export type AsteriskInstallation =
  | { mode: 'host'; binary: string }
  | { mode: 'chroot'; root: string; binary: string };

export interface StartAsteriskOptions {
  /** Folder for this instance: etc/ (configuration), run/, log/, db/, spool/, cache/, moh/. Created if missing. */
  runtimeDir: string;
  /** Asterisk's HTTP server (ARI and SIP over WebSocket) on 127.0.0.1. Default 8088; 0 picks a free port. */
  httpPort?: number;
  /** transport-udp on 127.0.0.1 (desk phones, test user agents, the development trunk). Default 5060; 0 picks a free port. */
  sipPort?: number;
  /** RTP port range. Default 10000-20000; instances may share a range (Asterisk skips ports in use). */
  rtpStart?: number;
  rtpEnd?: number;
  /** Asterisk's console output goes here, line by line. */
  logger?: AsteriskLogger;
  /** The admins' configuration folder. Default: the project's asterisk-config/. */
  configDir?: string;
  /** How long to wait for ARI to answer. Default 60 s. */
  readyTimeoutMs?: number;
  /** The ARI password; default a fresh random one. Given to start Asterisk again for the same controller. */
  ariPassword?: string;
}

export interface AsteriskInstance {
  /** Base URL for ari-client's connect() (ARI itself is under /ari). */
  ariUrl: string;
  ariUser: string;
  ariPassword: string;
  /** SIP over WebSocket for softphones (what the web server's /sip proxy forwards to). */
  sipWsUrl: string;
  sipUdpPort: number;
  httpPort: number;
  rtpStart: number;
  rtpEnd: number;
  pid: number;
  runtimeDir: string;
  installation: AsteriskInstallation;
  /** Runs an Asterisk CLI command on this instance (`asterisk -rx`), e.g. "pjsip show contacts". */
  cli(command: string): Promise<string>;
  /** Ends Asterisk (SIGTERM, then SIGKILL after 10 s). Idempotent. */
  stop(): Promise<void>;
}

/** Name of the ARI user written into generated_ari.conf. */
export const ARI_USER = 'contact-center';
/** Where an instance's runtime directory appears inside the chroot (the provisioning script creates it). */
export const CHROOT_RUNTIME_DIR = '/srv/mobile-contact-center';

const CHROOT_MARKER = '.mobile-contact-center-asterisk';
const CHROOT_BINARY = '/usr/sbin/asterisk';
const DEFAULT_CONFIG_DIR = fileURLToPath(new URL('../../asterisk-config/', import.meta.url));
const RUNTIME_PLACEHOLDER = '@RUNTIME_DIR@';
const STOP_TIMEOUT_MS = 10_000;
const OUTPUT_TAIL_LINES = 40;
const SUBDIRS = ['etc', 'run', 'log', 'db', 'spool', 'cache', 'moh'] as const;
const PROVISION_HINT = 'run `bash scripts/provision-asterisk.sh` as root to provision it';

/** The chroot location, as scripts/provision-asterisk.sh computes it. */
export function defaultChrootPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ASTERISK_CHROOT) return resolve(env.ASTERISK_CHROOT);
  const cache = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(cache, 'mobile-contact-center', 'asterisk-sid');
}

/**
 * Which Asterisk to run: an `asterisk` binary on the host (PATH, /usr/sbin, /usr/local/sbin) first,
 * else the provisioned chroot. ASTERISK_PROVISION=chroot skips the host binary, as in the script.
 * Throws when there is neither.
 */
export function findAsterisk(env: NodeJS.ProcessEnv = process.env): AsteriskInstallation {
  if (env.ASTERISK_PROVISION !== 'chroot') {
    const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/usr/local/sbin'];
    for (const dir of dirs) {
      const binary = join(dir, 'asterisk');
      if (isExecutable(binary)) return { mode: 'host', binary };
    }
  }
  const root = defaultChrootPath(env);
  if (existsSync(join(root, CHROOT_MARKER)) && isExecutable(join(root, CHROOT_BINARY))) {
    return { mode: 'chroot', root, binary: CHROOT_BINARY };
  }
  throw new Error(
    `Asterisk is not provisioned: no asterisk binary on the host and no complete chroot at ${root}; ${PROVISION_HINT}`,
  );
}

export async function startAsterisk(opts: StartAsteriskOptions): Promise<AsteriskInstance> {
  const installation = findAsterisk();
  const log = opts.logger;
  const runtimeDir = resolve(opts.runtimeDir);
  const rtpStart = opts.rtpStart ?? 10000;
  const rtpEnd = opts.rtpEnd ?? 20000;
  if (!validPort(rtpStart) || !validPort(rtpEnd) || rtpStart >= rtpEnd) {
    throw new RangeError(`invalid RTP range ${rtpStart}-${rtpEnd}`);
  }
  if (installation.mode === 'chroot' && process.getuid?.() !== 0) {
    throw new Error(`Asterisk runs in the chroot at ${installation.root}, which needs root (chroot, mount)`);
  }
  const httpPort = await choosePort('tcp', opts.httpPort ?? 8088);
  const sipUdpPort = await choosePort('udp', opts.sipPort ?? 5060);

  // What Asterisk sees: the runtime directory itself, or its bind mount inside the chroot.
  const seenDir = installation.mode === 'chroot' ? CHROOT_RUNTIME_DIR : runtimeDir;
  const ariPassword = opts.ariPassword ?? secret();
  await writeInstanceConfig({
    configDir: opts.configDir ?? DEFAULT_CONFIG_DIR,
    runtimeDir,
    seenDir,
    httpPort,
    sipUdpPort,
    rtpStart,
    rtpEnd,
    ariPassword,
    mohDirs: mohCandidates(installation),
  });

  const confFile = `${seenDir}/etc/asterisk.conf`;
  const child = spawnAsterisk(installation, runtimeDir, confFile);
  const tail: string[] = [];
  let readyAt: number | undefined; // when Asterisk printed "Asterisk Ready." (all modules loaded)
  const onLine = (line: string) => {
    if (readyAt === undefined && line.includes('Asterisk Ready.')) readyAt = Date.now();
    tail.push(line);
    if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
    if (!log) return;
    if (/\bERROR\[/.test(line)) log.error(`asterisk: ${line}`);
    else if (/\bWARNING\[/.test(line)) log.warn(`asterisk: ${line}`);
    else log.info(`asterisk: ${line}`);
  };
  forwardLines(child, onLine);

  // Last resort when Node exits without stop(): the instance must not outlive us.
  const killOnExit = () => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let exitInfo: string | undefined;
  const exited = new Promise<void>((resolveExit) => {
    const done = (info: string) => {
      exitInfo ??= info;
      process.removeListener('exit', killOnExit);
      resolveExit();
    };
    child.once('exit', (code, signal) => done(signal ? `signal ${signal}` : `code ${code}`));
    child.once('error', (err) => done(`could not run: ${err.message}`)); // e.g. unshare missing
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitInfo === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      process.removeListener('exit', killOnExit);
      log?.info(`asterisk: stopped (pid ${child.pid}, ${exitInfo})`);
    })();
    return stopping;
  };

  const ariUrl = `http://127.0.0.1:${httpPort}`;
  try {
    const info = await waitForAri(ariUrl, ARI_USER, ariPassword, opts.readyTimeoutMs ?? 60_000, () => {
      if (exitInfo) return `Asterisk exited (${exitInfo}) before ARI answered`;
      // Fully started yet no ARI for a while: a module failed to load; waiting longer will not help.
      if (readyAt !== undefined && Date.now() - readyAt > 3000) return 'Asterisk started but ARI does not answer (a module failed to load?)';
      return undefined;
    });
    log?.info(
      `asterisk: ${info} ready (${installation.mode === 'chroot' ? `chroot ${installation.root}` : installation.binary}, ` +
        `pid ${child.pid}, ARI ${ariUrl}, SIP udp 127.0.0.1:${sipUdpPort}, runtime ${runtimeDir})`,
    );
  } catch (err) {
    await stop();
    const output = tail.length ? `\nlast output:\n${tail.join('\n')}` : '';
    throw new Error(`Asterisk did not start: ${(err as Error).message}; logs in ${runtimeDir}/log${output}`, {
      cause: err,
    });
  }

  const pid = child.pid;
  if (pid === undefined) throw new Error('Asterisk has no pid');
  return {
    ariUrl,
    ariUser: ARI_USER,
    ariPassword,
    sipWsUrl: `ws://127.0.0.1:${httpPort}/ws`,
    sipUdpPort,
    httpPort,
    rtpStart,
    rtpEnd,
    pid,
    runtimeDir,
    installation,
    cli: (command) => runCli(installation, pid, confFile, command),
    stop,
  };
}

// ---------------------------------------------------------------------------------------------------

interface InstanceConfig {
  configDir: string;
  runtimeDir: string;
  seenDir: string;
  httpPort: number;
  sipUdpPort: number;
  rtpStart: number;
  rtpEnd: number;
  ariPassword: string;
  mohDirs: { host: string; seen: string }[];
}

const GENERATED_HEADER =
  '; Generated by src/ari/asterisk-process.ts for this instance at start. Do not edit, do not commit.\n';

async function writeInstanceConfig(c: InstanceConfig): Promise<void> {
  await mkdir(c.runtimeDir, { recursive: true, mode: 0o700 });
  await chmod(c.runtimeDir, 0o700); // it holds secrets
  for (const sub of SUBDIRS) await mkdir(join(c.runtimeDir, sub), { recursive: true });
  const etc = join(c.runtimeDir, 'etc');
  // A fresh etc/ each start: no stale file from an older configuration survives.
  for (const name of await readdir(etc)) await rm(join(etc, name), { recursive: true, force: true });

  const names = (await readdir(c.configDir)).filter((n) => n.endsWith('.conf'));
  if (!names.includes('asterisk.conf')) throw new Error(`no asterisk.conf in ${c.configDir}`);
  for (const name of names) {
    const text = await readFile(join(c.configDir, name), 'utf8');
    await writeFile(join(etc, name), text.replaceAll(RUNTIME_PLACEHOLDER, c.seenDir));
  }

  const generated: Record<string, string> = {
    'generated_ari.conf': [
      `[${ARI_USER}]`,
      'type = user',
      'read_only = no',
      'password_format = plain',
      `password = ${c.ariPassword}`,
      'deny = 0.0.0.0/0',
      'permit = 127.0.0.1',
    ].join('\n'),
    'generated_http.conf': ['[general](+)', `bindport = ${c.httpPort}`].join('\n'),
    'generated_pjsip.conf': [
      '[transport-udp](+)',
      `bind = 127.0.0.1:${c.sipUdpPort}`,
      '',
      '; Development: the trunk calls this instance itself, where the simulated PSTN answers.',
      '[trunk-aor](+)',
      `contact = sip:127.0.0.1:${c.sipUdpPort}`,
      '',
      '[simulated-pstn-auth](+)',
      `password = ${secret()}`,
      '',
      '; Development: the SMS trunk texts this instance itself, where the simulated PSTN delivers texts and sends them back.',
      '[sms-trunk-aor](+)',
      `contact = sip:127.0.0.1:${c.sipUdpPort}`,
      '',
      '[simulated-pstn-aor](+)',
      `contact = sip:127.0.0.1:${c.sipUdpPort}`,
      '',
      '[sms-trunk-auth](+)',
      `password = ${secret()}`,
    ].join('\n'),
    'generated_rtp.conf': ['[general](+)', `rtpstart = ${c.rtpStart}`, `rtpend = ${c.rtpEnd}`].join('\n'),
  };

  // Music on hold: Asterisk's own files when installed, else a soft tone written here.
  const moh = c.mohDirs.find((d) => hasAudioFiles(d.host));
  let mohDir: string;
  if (moh) {
    mohDir = moh.seen;
  } else {
    await writeFile(join(c.runtimeDir, 'moh', 'tone.wav'), toneWav());
    mohDir = `${c.seenDir}/moh`;
  }
  generated['generated_musiconhold.conf'] = ['[default](+)', `directory = ${mohDir}`].join('\n');

  for (const [name, body] of Object.entries(generated)) {
    await writeFile(join(etc, name), `${GENERATED_HEADER}${body}\n`, { mode: 0o600 });
  }
}

function mohCandidates(inst: AsteriskInstallation): { host: string; seen: string }[] {
  const dirs = ['/usr/share/asterisk/moh', '/var/lib/asterisk/moh'];
  return dirs.map((seen) => ({ host: inst.mode === 'chroot' ? join(inst.root, seen) : seen, seen }));
}

function hasAudioFiles(dir: string): boolean {
  try {
    return readdirSync(dir).some((n) => /\.(gsm|wav|ulaw|alaw|sln\d*|g722|wav49)$/i.test(n));
  } catch {
    return false;
  }
}

/** 30 s of a soft two-note chime every 3 s, 8 kHz 16-bit mono WAV. */
function toneWav(): Buffer {
  const rate = 8000;
  const samples = rate * 30;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    const t = (i % (rate * 3)) / rate; // position in the 3 s cycle
    const freq = t < 0.4 ? 523.25 : t < 0.8 ? 659.25 : 0;
    const note = t < 0.4 ? t : t - 0.4;
    const envelope = freq ? Math.min(1, note / 0.02) * Math.exp(-note * 4) : 0;
    data.writeInt16LE(Math.round(Math.sin(2 * Math.PI * freq * (i / rate)) * envelope * 6000), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

function spawnAsterisk(inst: AsteriskInstallation, runtimeDir: string, confFile: string): ChildProcess {
  const asterisk = ['-f', '-n', '-C', confFile];
  let command: string[];
  let env: NodeJS.ProcessEnv;
  if (inst.mode === 'host') {
    command = [inst.binary, ...asterisk];
    env = process.env;
  } else {
    // A private mount namespace: the mounts below exist for this instance only and vanish with it.
    // sh execs chroot, which execs Asterisk: the child's pid is Asterisk's.
    const script = [
      'set -e',
      `mkdir -p "$1${CHROOT_RUNTIME_DIR}"`,
      `mount --bind "$2" "$1${CHROOT_RUNTIME_DIR}"`,
      'mount -t proc proc "$1/proc"',
      'root=$1; shift 2',
      'exec chroot "$root" "$@"',
    ].join('\n');
    command = [
      'unshare', '--mount', '--propagation', 'private', '--',
      '/bin/sh', '-c', script, 'asterisk-chroot', inst.root, runtimeDir, inst.binary, ...asterisk,
    ];
    env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8' };
  }
  // SIGTERM to Asterisk if this Node process dies without stopping it (even on SIGKILL).
  if (isExecutable('/usr/bin/setpriv')) command = ['/usr/bin/setpriv', '--pdeathsig', 'TERM', '--', ...command];
  const [file, ...args] = command as [string, ...string[]];
  return spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

function forwardLines(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const clean = line.replace(/\r$/, '');
        if (clean.trim()) onLine(clean);
      }
    });
    stream.on('end', () => {
      if (partial.trim()) onLine(partial);
    });
  }
}

async function waitForAri(
  ariUrl: string,
  user: string,
  password: string,
  timeoutMs: number,
  failed: () => string | undefined,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  let last: string;
  for (;;) {
    const failure = failed();
    if (failure) throw new Error(failure);
    try {
      const res = await fetch(`${ariUrl}/ari/asterisk/info`, {
        headers: { authorization },
        signal: AbortSignal.timeout(2000),
      });
      if (res.ok) {
        const info = (await res.json()) as { system?: { version?: string } };
        return `Asterisk ${info.system?.version ?? '(version unknown)'}`;
      }
      last = `HTTP ${res.status}`;
      await res.body?.cancel();
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() >= deadline) throw new Error(`ARI at ${ariUrl} did not answer within ${timeoutMs} ms (${last})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function runCli(inst: AsteriskInstallation, pid: number, confFile: string, command: string): Promise<string> {
  const rx = ['-C', confFile, '-rx', command];
  // In the chroot: enter the instance's mount namespace and root, where its runtime dir is mounted.
  const [file, args] =
    inst.mode === 'host'
      ? [inst.binary, rx]
      : ['nsenter', [`--target=${pid}`, '--mount', '--root', '--', inst.binary, ...rx]];
  return new Promise((resolveCli, reject) => {
    execFile(file, args, { timeout: 10_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`asterisk -rx "${command}" failed: ${stderr || err.message}`, { cause: err }));
      else resolveCli(stdout);
    });
  });
}

/** A port to use: `wanted`, after checking it is free on 127.0.0.1, or a free one when `wanted` is 0. */
async function choosePort(kind: 'tcp' | 'udp', wanted: number): Promise<number> {
  if (wanted !== 0 && !validPort(wanted)) throw new RangeError(`invalid ${kind} port ${wanted}`);
  try {
    return await (kind === 'tcp' ? probeTcp(wanted) : probeUdp(wanted));
  } catch (err) {
    throw new Error(`${kind.toUpperCase()} port ${wanted} on 127.0.0.1 is not free for Asterisk: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function probeTcp(port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const address = server.address();
      const chosen = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolvePort(chosen));
    });
  });
}

function probeUdp(port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind({ address: '127.0.0.1', port, exclusive: true }, () => {
      const chosen = socket.address().port;
      socket.close(() => resolvePort(chosen));
    });
  });
}

function validPort(n: number): boolean {
  return Number.isInteger(n) && n > 0 && n < 65536;
}

function secret(): string {
  return randomBytes(32).toString('base64url');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

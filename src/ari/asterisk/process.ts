// Runs an Asterisk instance with the project's asterisk-config/ for `npm start` and the tests.
//
// findAsterisk() (installation.ts) says which Asterisk is used: an `asterisk` installed on the
// host, else the Debian sid chroot built by scripts/provision-asterisk.sh. startAsterisk() writes one
// instance's configuration into its runtime directory (instance-config.ts), starts
// `asterisk -f`, waits until ARI answers, and hands back the URLs and credentials. Several instances can
// run side by side, each with its own runtime directory and ports.
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { CHROOT_RUNTIME_DIR, findAsterisk, runCli, spawnAsterisk, type AsteriskInstallation } from './installation.ts';
import { ARI_USER, DEFAULT_CONFIG_DIR, mohCandidates, secret, writeInstanceConfig } from './instance-config.ts';
import { choosePort, validPort } from './ports.ts';

export interface AsteriskLogger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface StartAsteriskOptions {
  /** Folder for this instance: etc/ (configuration), run/, log/, db/, spool/, cache/, moh/. Created if missing. */
  runtimeDir: string;
  /** Address Asterisk's HTTP server and SIP UDP transport bind to. Default 127.0.0.1 (loopback only). */
  bind?: string;
  /** Asterisk's HTTP server (ARI and SIP over WebSocket). Default 8088; 0 picks a free port (ports.ts). */
  httpPort?: number;
  /** transport-udp (desk phones, test user agents, the development trunk). Default 5060; 0 picks a free port. */
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
  /** The address ARI and SIP listen on (see StartAsteriskOptions.bind). */
  bind: string;
  runtimeDir: string;
  /** Settles when the Asterisk process has ended, however it ended, with how ("signal SIGKILL", "code 0"). */
  exited: Promise<string>;
  installation: AsteriskInstallation;
  /** Runs an Asterisk CLI command on this instance (`asterisk -rx`), e.g. "pjsip show contacts". */
  cli(command: string): Promise<string>;
  /** Ends Asterisk (SIGTERM, then SIGKILL after 10 s). Idempotent. */
  stop(): Promise<void>;
}

const STOP_TIMEOUT_MS = 10_000;
const OUTPUT_TAIL_LINES = 40;

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
  const bind = opts.bind ?? '127.0.0.1';
  const httpPort = await choosePort('tcp', bind, opts.httpPort ?? 8088);
  // Not among the RTP ports, which Asterisk binds at random for each call.
  const sipUdpPort = await choosePort('udp', bind, opts.sipPort ?? 5060, [[rtpStart, rtpEnd]]);
  // Where this machine reaches it: a wildcard bind is reached on loopback.
  const host = bind === '0.0.0.0' ? '127.0.0.1' : bind;

  // What Asterisk sees: the runtime directory itself, or its bind mount inside the chroot.
  const seenDir = installation.mode === 'chroot' ? CHROOT_RUNTIME_DIR : runtimeDir;
  const ariPassword = opts.ariPassword ?? secret();
  await writeInstanceConfig({
    configDir: opts.configDir ?? DEFAULT_CONFIG_DIR,
    runtimeDir,
    seenDir,
    bind,
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
  const exited = new Promise<string>((resolveExit) => {
    const done = (info: string) => {
      exitInfo ??= info;
      process.removeListener('exit', killOnExit);
      resolveExit(exitInfo);
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

  const ariUrl = `http://${host}:${httpPort}`;
  try {
    const info = await waitForAri(ariUrl, ARI_USER, ariPassword, opts.readyTimeoutMs ?? 60_000, () => {
      if (exitInfo) return `Asterisk exited (${exitInfo}) before ARI answered`;
      // Fully started yet no ARI for a while: a module failed to load; waiting longer will not help.
      if (readyAt !== undefined && Date.now() - readyAt > 3000) return 'Asterisk started but ARI does not answer (a module failed to load?)';
      return undefined;
    });
    log?.info(
      `asterisk: ${info} ready (${installation.mode === 'chroot' ? `chroot ${installation.root}` : installation.binary}, ` +
        `pid ${child.pid}, ARI ${ariUrl}, SIP udp ${bind}:${sipUdpPort}, runtime ${runtimeDir})`,
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
    sipWsUrl: `ws://${host}:${httpPort}/ws`,
    sipUdpPort,
    httpPort,
    rtpStart,
    rtpEnd,
    pid,
    bind,
    runtimeDir,
    exited,
    installation,
    cli: (command) => runCli(installation, pid, confFile, command),
    stop,
  };
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


// baresip, a scriptable SIP user agent, as an agent's desk phone or a customer's phone in tests and
// benches: plain SIP over UDP and G.711 RTP on 127.0.0.1, a 440 Hz tone as the microphone, audio
// received into an in-process sink, driven over its ctrl_tcp socket (JSON netstrings). Its control port
// is chosen and checked as test/helpers/baresip-control.ts says; when baresip dies or the control
// connection closes, the error says how it ended and what baresip last printed (line-buffered by stdbuf).
//
// The baresip installed on the host is used when there is one, else the one in the Asterisk chroot
// (scripts/provision-asterisk.sh installs it there). In the chroot each instance runs in a private mount
// namespace with its folder bind-mounted, like Asterisk (src/ari/asterisk/installation.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CHROOT_RUNTIME_DIR, defaultChrootPath } from '../../src/ari/index.ts';
import { controlListeners, controlPort } from './baresip-control.ts';
import { sleep } from './eventually.ts';

export interface BaresipAccount {
  user: string;
  password: string;
  sipPort: number; // Asterisk's transport-udp port on 127.0.0.1
  autoAnswer?: boolean;
}

export interface BaresipEvent {
  type: string; // REGISTER_OK, REGISTER_FAIL, CALL_INCOMING, CALL_ESTABLISHED, CALL_CLOSED, ...
  accountaor?: string;
  peeruri?: string;
  id?: string;
  param?: string;
}

export interface StartOptions {
  accounts: BaresipAccount[];
  rtpPorts?: string;
  controlPort?: () => Promise<number>; // chooses each attempt's control port (default: baresip-control.ts)
}

type Installation = { mode: 'host'; binary: string } | { mode: 'chroot'; root: string; binary: string };

const CHROOT_BINARY = '/usr/bin/baresip';
const START_TIMEOUT_MS = 15_000;
const START_ATTEMPTS = 5; // each on another control port, when another process listens on the chosen one
const COMMAND_TIMEOUT_MS = 15_000;
const OUTPUT_LINES = 25; // of baresip's output, in an error

// Phones still running when the process exits are killed, so none outlives a crashed test.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function findBaresip(env: NodeJS.ProcessEnv = process.env): Installation {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    if (executable(join(dir, 'baresip'))) return { mode: 'host', binary: join(dir, 'baresip') };
  }
  const root = defaultChrootPath(env);
  if (executable(join(root, CHROOT_BINARY))) return { mode: 'chroot', root, binary: CHROOT_BINARY };
  throw new Error(`baresip is not installed (not on PATH, not in ${root}): run bash scripts/provision-asterisk.sh as root`);
}

export class Baresip {
  readonly events: BaresipEvent[] = [];
  readonly #child: ChildProcess;
  readonly #dir: string;
  readonly #socket: Socket;
  readonly #pending = new Map<string, { resolve: (data: string) => void; reject: (err: Error) => void }>();
  readonly #waiters = new Set<() => void>();
  #token = 0;
  readonly #exited: Promise<string>;
  #ended: string | undefined; // how baresip ended, once it has
  #closed: Promise<Error> | undefined; // why the control connection closed, once it has
  #socketError: Error | undefined;
  readonly output: () => string;

  private constructor(child: ChildProcess, dir: string, socket: Socket, exited: Promise<string>, output: () => string) {
    this.#child = child;
    this.#dir = dir;
    this.#socket = socket;
    this.#exited = exited;
    this.output = output;
    void exited.then((how) => {
      this.#ended = how;
      this.#wake();
    });
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const colon = buffer.indexOf(0x3a);
        if (colon < 0) break;
        const length = Number(buffer.subarray(0, colon).toString());
        if (buffer.length < colon + 1 + length + 1) break;
        this.onMessage(JSON.parse(buffer.subarray(colon + 1, colon + 1 + length).toString()) as Record<string, unknown>);
        buffer = buffer.subarray(colon + 1 + length + 1);
      }
    });
    // A reset (baresip killed with commands unread) is told by the close that follows it.
    socket.on('error', (err) => (this.#socketError = err));
    socket.on('close', () => {
      const closed = this.#whyClosed();
      this.#closed = closed;
      void closed.then((err) => {
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
      });
    });
  }

  static async start(opts: StartOptions): Promise<Baresip> {
    const inst = findBaresip();
    for (let attempt = 1; ; attempt++) {
      const phone = await Baresip.#launch(inst, opts);
      if (phone) return phone;
      if (attempt === START_ATTEMPTS) throw new Error(`baresip did not start: another process listened on its control port, ${attempt} times`);
    }
  }

  // A started phone, or null when another process listens on its control port too (see baresip-control.ts).
  static async #launch(inst: Installation, opts: StartOptions): Promise<Baresip | null> {
    const dir = await mkdtemp(join(tmpdir(), 'mcc-baresip-'));
    const ctrlPort = await (opts.controlPort ?? controlPort)();
    await writeFile(join(dir, 'config'), config(ctrlPort, opts.rtpPorts ?? '40000-49998'));
    await writeFile(join(dir, 'accounts'), opts.accounts.map(accountLine).join('\n') + '\n', { mode: 0o600 });
    await writeFile(join(dir, 'contacts'), '');
    const [file, ...args] = commandLine(inst, dir);
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: dir } });
    let output = '';
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.setEncoding('utf8').on('data', (s: string) => {
        output = (output + s).slice(-200_000);
      });
    }
    const exited = new Promise<string>((resolve) => {
      child.once('exit', (code, signal) => resolve(signal ? `baresip was killed by ${signal}` : `baresip exited with code ${code}`));
      child.once('error', (err) => resolve(`baresip could not be run: ${err.message}`));
    });
    running.add(child);
    void exited.then(() => running.delete(child));
    let ended: string | undefined;
    void exited.then((how) => (ended = how));
    try {
      if ((await waitForControl(ctrlPort, child.pid!, () => ended)) === 'shared') {
        await end(child, exited, dir);
        return null;
      }
      const socket = await connect(ctrlPort);
      return new Baresip(child, dir, socket, exited, () => output);
    } catch (err) {
      await end(child, exited, dir);
      throw new Error(`baresip did not start: ${(err as Error).message}${lastLines(output)}`, { cause: err });
    }
  }

  get pid(): number {
    return this.#child.pid ?? 0;
  }

  command(command: string, params = ''): Promise<string> {
    if (this.#closed) return this.#closed.then((err) => Promise.reject(err));
    const token = String(++this.#token);
    const json = JSON.stringify({ command, params, token });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(token);
        reject(new Error(`baresip did not answer ${command} within ${COMMAND_TIMEOUT_MS} ms${this.#ended ? `: ${this.#ended}` : ''}`));
      }, COMMAND_TIMEOUT_MS);
      const settle = <T>(fn: (v: T) => void) => (v: T) => {
        clearTimeout(timer);
        fn(v);
      };
      this.#pending.set(token, { resolve: settle(resolve), reject: settle(reject) });
      this.#socket.write(`${Buffer.byteLength(json)}:${json},`);
    });
  }

  // Waits for an event matching `match` (already received ones count, from index `since`).
  async waitEvent(match: (e: BaresipEvent) => boolean, timeoutMs = 10_000, since = 0): Promise<BaresipEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(since).find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0 || this.#ended) {
        const why = this.#ended ? `: ${this.#ended}${lastLines(this.output())}` : '';
        throw new Error(`no baresip event matched within ${timeoutMs} ms; got ${JSON.stringify(this.events.map((e) => [e.type, e.param]))}${why}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#waiters.add(done);
      });
    }
  }

  // Polls `reginfo` until the account's registration says OK.
  waitRegistered(user: string, timeoutMs = 10_000): Promise<void> {
    return this.#waitRegistration(user, 'OK', timeoutMs);
  }

  // Polls `reginfo` until the account's registration was refused. Polled, not the REGISTER_FAIL event:
  // a phone's first REGISTER is answered before the control socket is connected, and its event is lost.
  waitRegistrationFailed(user: string, timeoutMs = 10_000): Promise<void> {
    return this.#waitRegistration(user, 'ERR', timeoutMs);
  }

  async #waitRegistration(user: string, state: 'OK' | 'ERR', timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await this.command('reginfo');
      // The state is coloured: "<ESC>[32mOK <ESC>[;m", "<ESC>[31mERR<ESC>[;m".
      const line = info.replace(/\[[0-9;]*m/g, ' ').split('\n').find((l) => l.includes(`sip:${user}@`));
      if (line && new RegExp(`\\s${state}\\b`).test(line)) return;
      if (Date.now() > deadline) throw new Error(`${user}'s registration did not say ${state} within ${timeoutMs} ms: ${info}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async dial(uri: string, fromUser?: string): Promise<void> {
    if (fromUser) await this.command('uafind', this.aorOf(fromUser));
    await this.command('dial', uri);
  }

  aorOf(user: string): string {
    const line = this.events.find((e) => e.accountaor?.includes(`sip:${user}@`))?.accountaor;
    return line ?? `sip:${user}@127.0.0.1`;
  }

  hangupAll(): Promise<string> {
    return this.command('hangupall');
  }

  // RTP packets of the current call as baresip counts them (null when there is no call). Received
  // packets are counted per sender (SSRC), one RTCP member each: early media, the bridge, music on
  // hold, the bridge again after a hold. Their sum is what the call received, whatever order they are listed in.
  async rtp(): Promise<{ sent: number; received: number } | null> {
    const debug = await this.command('audio_debug');
    const sent = /TX: packets=(\d+)/.exec(debug);
    const received = [...debug.matchAll(/rcvd=(\d+)/g)].map((m) => Number(m[1]));
    if (!sent || received.length === 0) return null;
    return { sent: Number(sent[1]), received: received.reduce((a, b) => a + b, 0) };
  }

  async stop(): Promise<void> {
    this.#socket.destroy();
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 3000);
      await this.#exited;
      clearTimeout(timer);
    }
    await rm(this.#dir, { recursive: true, force: true });
  }

  private onMessage(message: Record<string, unknown>): void {
    if (message.response) {
      const token = String(message.token);
      const pending = this.#pending.get(token);
      this.#pending.delete(token);
      if (!pending) return;
      if (message.ok) pending.resolve(String(message.data ?? ''));
      else pending.reject(new Error(`baresip command failed: ${String(message.data ?? '')}`));
      return;
    }
    if (message.event) {
      this.events.push(message as unknown as BaresipEvent);
      this.#wake();
    }
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) {
      this.#waiters.delete(wake);
      wake();
    }
  }

  // The control connection closed: say whether baresip ended (waiting a moment for its exit), and what it printed last.
  async #whyClosed(): Promise<Error> {
    const how = await Promise.race([this.#exited, sleep(1000).then(() => `baresip (pid ${this.pid}) still runs`)]);
    const error = this.#socketError ? ` (${this.#socketError.message})` : '';
    return new Error(`baresip control socket closed${error}: ${how}${lastLines(this.output())}`);
  }
}

function config(ctrlPort: number, rtpPorts: string): string {
  return [
    'poll_method epoll',
    'net_interface 127.0.0.1',
    'sip_listen 127.0.0.1:0',
    `rtp_ports ${rtpPorts}`,
    'rtp_stats yes',
    'audio_source ausine,440',
    'ausrc_srate 48000',
    'ausrc_channels 1',
    'audio_player aubridge,sink',
    'audio_alert aubridge,sink',
    'module_path /usr/lib/baresip/modules',
    'module g711.so',
    'module ausine.so',
    'module aubridge.so',
    'module_app account.so',
    'module_app menu.so',
    'module_app ctrl_tcp.so',
    `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
    '',
  ].join('\n');
}

function accountLine(a: BaresipAccount): string {
  const params = [`auth_pass=${a.password}`, 'regint=60', 'audio_codecs=PCMU,PCMA', ...(a.autoAnswer ? ['answermode=auto'] : [])];
  return `<sip:${a.user}@127.0.0.1:${a.sipPort};transport=udp>;${params.join(';')}`;
}

function commandLine(inst: Installation, dir: string): [string, ...string[]] {
  // Line-buffered output, so that what baresip printed last is there when it dies.
  const root = inst.mode === 'chroot' ? inst.root : '/';
  const baresip = [...(executable(join(root, 'usr/bin/stdbuf')) ? ['/usr/bin/stdbuf', '-oL'] : []), inst.binary];
  const command =
    inst.mode === 'host'
      ? [...baresip, '-f', dir]
      : [
          'unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c',
          `set -e; mount --bind "$2" "$1${CHROOT_RUNTIME_DIR}"; root=$1; shift 2; exec chroot "$root" "$@"`,
          'baresip-chroot', inst.root, dir, ...baresip, '-f', CHROOT_RUNTIME_DIR,
        ];
  if (executable('/usr/bin/setpriv')) command.unshift('/usr/bin/setpriv', '--pdeathsig', 'TERM', '--');
  return command as [string, ...string[]];
}

// Waits until something listens on the control port: this baresip alone ('own') or another process too ('shared').
async function waitForControl(port: number, pid: number, ended: () => string | undefined): Promise<'own' | 'shared'> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const how = ended();
    if (how) throw new Error(how);
    const listeners = await controlListeners(port, pid);
    if (listeners !== 'none') return listeners;
    if (Date.now() > deadline) throw new Error(`nothing listened on its control port ${port} within ${START_TIMEOUT_MS} ms`);
    await sleep(50);
  }
}

function connect(port: number): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = createConnection(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

async function end(child: ChildProcess, exited: Promise<string>, dir: string): Promise<void> {
  child.kill('SIGKILL');
  await exited;
  await rm(dir, { recursive: true, force: true });
}

function lastLines(output: string): string {
  const lines = output.trimEnd().split('\n').slice(-OUTPUT_LINES);
  return `\n--- baresip's last ${lines.length} lines of output ---\n${lines.join('\n')}`;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// Auto-answering phones on Asterisk's SIP port, each registered before it is handed out and stopped
// when the test ends.
export function sipPhones(t: { teardown(fn: () => Promise<void>): void }, sipPort: number): (user: string, password: string) => Promise<Baresip> {
  return async (user, password) => {
    const phone = await Baresip.start({ accounts: [{ user, password, sipPort, autoAnswer: true }] });
    t.teardown(() => phone.stop());
    await phone.waitRegistered(user);
    return phone;
  };
}

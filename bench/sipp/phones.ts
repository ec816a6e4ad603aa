// SIPp as the bench's phones: one SIPp process plays many SIP phones, cheaply (a pcap replayed for
// the voice, no codec, no audio device), so the load generator leaves the machine to Asterisk and the
// controller. Each account first REGISTERs with digest authentication (register.xml, SIPp's
// [authentication] with the account's password) from the very port the phones then listen on; then
// one UAS scenario (phone-*.xml) on that port answers every call to any of the accounts and streams
// PCMU from a pcap until the far end hangs up. Asterisk stores the REGISTER's source as each
// account's contact (rewrite_contact=yes), so the controller's own endpoints ring these phones
// exactly as they would ring real ones. Everything on 127.0.0.1. The voice is SIPp's rtp_stream
// (phone-stream.xml, the default, a pool of threads) or play_pcap_audio (phone-pcap.xml, a thread per
// call, about twice the CPU); both send 50 PCMU packets a second per call.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SIPP = '/usr/bin/sipp'; // Debian's sip-tester (scripts/install-cluster-tools.sh)
const HERE = dirname(fileURLToPath(import.meta.url));
const REGISTER_TIMEOUT_S = 60;

export interface SippAccount {
  user: string;
  password: string;
}

export interface SippStats {
  current: number; // calls in progress
  successful: number; // calls that ended well (BYE answered)
  failed: number;
}

// Children still running when the bench exits are killed, so none outlives a crash.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function run(args: string[], cwd: string): { child: ChildProcess; exited: Promise<number | null>; stderr: () => string } {
  const child = spawn(SIPP, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-20_000);
  });
  running.add(child);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(-1));
  });
  void exited.then(() => running.delete(child));
  return { child, exited, stderr: () => stderr };
}

export class SippPhones {
  readonly name: string;
  readonly sipPort: number; // where the phones listen (their contact)
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  readonly #statFile: string;
  readonly #stderr: () => string;

  private constructor(name: string, sipPort: number, child: ChildProcess, exited: Promise<number | null>, statFile: string, stderr: () => string) {
    this.name = name;
    this.sipPort = sipPort;
    this.#child = child;
    this.#exited = exited;
    this.#statFile = statFile;
    this.#stderr = stderr;
  }

  // `dir` is the bench's scratch folder (scenarios, accounts, statistics); `audio` the file the phones
  // play (bench/sipp/pcmu.ts): a pcap for `rtp: 'pcap'`, raw mu-law for 'stream', `audioMs` long.
  static async start(opts: { name: string; dir: string; accounts: SippAccount[]; asteriskSipPort: number; rtp: 'stream' | 'pcap'; audio: string; audioMs: number; maxSeconds: number; pcma?: boolean }): Promise<SippPhones> {
    const { name, dir } = opts;
    const sipPort = await freeUdpPorts(1);
    const mediaPort = await freeUdpPorts(4); // SIPp takes the media port and the one 2 above
    const controlPort = await freeUdpPorts(1); // SIPp's remote control (default 8888, which another SIPp may hold)
    const common = ['-i', '127.0.0.1', '-p', String(sipPort), '-cp', String(controlPort), '-t', 'u1', '-nostdin', '-skip_rlimit'];

    const accounts = join(dir, `${name}-accounts.csv`);
    // Quoted: SIPp reads an unquoted password that begins with 0x as hex (a base64url password may).
    await writeFile(accounts, ['SEQUENTIAL', ...opts.accounts.map((a) => `${a.user};[authentication username=${a.user} password="${a.password}"]`)].join('\n') + '\n', { mode: 0o600 });
    const reg = run(
      [`127.0.0.1:${opts.asteriskSipPort}`, '-sf', join(HERE, 'register.xml'), '-inf', accounts, '-m', String(opts.accounts.length), '-r', '100', '-l', '50', '-nd', ...common,
        '-timeout', `${REGISTER_TIMEOUT_S}s`, '-timeout_error', '-trace_err', '-error_file', join(dir, `${name}-register-errors.log`)],
      dir,
    );
    const code = await reg.exited;
    if (code !== 0) {
      const errors = await readFile(join(dir, `${name}-register-errors.log`), 'utf8').catch(() => '');
      throw new Error(`${name}: SIPp could not register ${opts.accounts.length} accounts (exit ${code}): ${reg.stderr().slice(-1000)} ${errors.slice(-2000)}`);
    }

    const scenario = join(dir, `${name}-phone.xml`);
    const template = await readFile(join(HERE, `phone-${opts.rtp}.xml`), 'utf8');
    // pcma: the phone answers in G.711 a-law (payload type 8), so a call to a PCMU phone is transcoded.
    // The mu-law bytes are sent as they are: the same packets, another codec (the CPU is what counts).
    const codec = (text: string) => (opts.pcma ? text.replace('RTP/AVP 0', 'RTP/AVP 8').replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000').replace('@AUDIO@,-1,0"', '@AUDIO@,-1,8"') : text);
    await writeFile(scenario, codec(template).replaceAll('@AUDIO@', opts.audio).replaceAll('@AUDIO_MS@', String(opts.audioMs)));
    const statFile = join(dir, `${name}-stat.csv`);
    const uas = run(
      // The watchdog would end SIPp after 120 late timer runs: a saturated machine (a finding of the bench) must not.
      ['-sf', scenario, ...common, '-mi', '127.0.0.1', '-mp', String(mediaPort), '-aa', '-trace_stat', '-stf', statFile, '-fd', '1',
        '-watchdog_minor_maxtriggers', '1000000', '-watchdog_major_maxtriggers', '1000000',
        '-trace_err', '-error_file', join(dir, `${name}-errors.log`), '-timeout', `${opts.maxSeconds}s`],
      dir,
    );
    const phones = new SippPhones(name, sipPort, uas.child, uas.exited, statFile, uas.stderr);
    // Up once its SIP port is taken (or it died).
    const deadline = Date.now() + 10_000;
    while ((await udpFree(sipPort)) && Date.now() < deadline && uas.child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    if (uas.child.exitCode !== null || (await udpFree(sipPort))) {
      await phones.stop();
      throw new Error(`${name}: SIPp phones did not start: ${uas.stderr().slice(-1000)}`);
    }
    return phones;
  }

  get pid(): number {
    return this.#child.pid ?? 0;
  }

  // The last line SIPp wrote to its statistics file (once a second).
  async stats(): Promise<SippStats | null> {
    const text = await readFile(this.#statFile, 'utf8').catch(() => '');
    const lines = text.trim().split('\n');
    if (lines.length < 2) return null;
    const header = lines[0]!.split(';');
    const last = lines.at(-1)!.split(';');
    const field = (n: string) => Number(last[header.indexOf(n)] ?? NaN);
    return { current: field('CurrentCall'), successful: field('SuccessfulCall(C)'), failed: field('FailedCall(C)') };
  }

  output(): string {
    return this.#stderr();
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 3000);
      await this.#exited;
      clearTimeout(timer);
    }
  }
}

// The first of `count` consecutive free UDP ports on 127.0.0.1 (checked one by one; a small race with
// other programs remains, as with any port probe).
async function freeUdpPorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const first = 40000 + Math.floor(Math.random() * 9000) * 2;
    let ok = true;
    for (let p = first; p < first + count && ok; p++) ok = await udpFree(p);
    if (ok) return first;
  }
  throw new Error('no free UDP ports for SIPp');
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ address: '127.0.0.1', port, exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

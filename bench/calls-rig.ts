// The rig of bench:calls: an Asterisk the bench owns (so a second ARI client can watch and drive it),
// the product's server against it (TELEPHONY=external), agents seeded in its data folder, one accepted
// chat per agent, and the phones: every agent's desk phone and every customer's line are SIPp accounts
// (bench/sipp/phones.ts), registered with digest auth to the PJSIP endpoints the controller provisions
// (desk phones: the agent's own desk phone password, made on /account) or that the simulated PSTN
// rings (customers' lines, as the voice tests make them). Everything on 127.0.0.1.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { connectAri, ensureSimulatedPhone, startAsterisk, type Ari, type AriEvent, type AsteriskInstance } from '../src/ari/index.ts';
import { seedDemoData } from '../src/demo-data.ts';
import { openDurableDatabase } from '../src/store/sqlite/durable-database.ts';
import { SqliteDirectory } from '../src/store/sqlite/directory-store.ts';
import { hashPassword } from '../src/web/passwords.ts';
import { DEFAULT_CONFIG_DIR } from '../src/ari/asterisk/instance-config.ts';
import { login } from '../test/helpers/fixtures.ts';
import { removeDir, startServer, type TestServer } from '../test/helpers/server.ts';
import { deskPasswordOf } from '../test/helpers/voice.ts';
import { writePcmu } from './sipp/pcmu.ts';
import { SippPhones } from './sipp/phones.ts';

export const BENCH_APP = 'bench';
const AUDIO_SECONDS = 30; // played again and again while a call lasts
const PHONES_MAX_SECONDS = 3600; // SIPp quits by itself after this, whatever happens to the bench
// asterisk.conf's maxcalls (500) counts channels running dialplan: a dialplan Dial() call has two (the
// agent's, and the simulated PSTN's side of the trunk), a controller call one. The bench's own
// Asterisk lifts it, so neither mode meets this safety ceiling before the CPU one.
const BENCH_MAXCALLS = 5000;

export interface AgentSeat {
  id: string;
  cookie: string;
  csrf: string;
  chatId: string;
  number: string; // the chat's customer number
}

type Waiter = { match: (e: AriEvent) => boolean; resolve: (got: { at: number; event: AriEvent }) => void; timer: NodeJS.Timeout };

// Every ARI event of the Asterisk (subscribeAll), with the time it arrived, to wait on.
export class EventTap {
  readonly #waiters = new Set<Waiter>();

  constructor(ari: Ari) {
    ari.on('*', (event) => {
      const at = performance.now();
      for (const w of this.#waiters) {
        if (!w.match(event)) continue;
        this.#waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve({ at, event });
      }
    });
  }

  // Register before acting; resolves with the event and performance.now() at its arrival.
  wait(match: (e: AriEvent) => boolean, what: string, timeoutMs = 10_000): Promise<{ at: number; event: AriEvent }> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(new Error(`no ARI event within ${timeoutMs} ms: ${what}`));
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }
}

export interface Rig {
  asterisk: AsteriskInstance;
  server: TestServer;
  ari: Ari;
  tap: EventTap;
  seats: AgentSeat[];
  deskPhones: SippPhones; // every desk phone, one SIPp process
  customerPhones: SippPhones; // every customer's line, another
  post(seat: { cookie: string; csrf: string }, path: string, body?: string): Promise<Reply>;
  openChat(seat: { id: string; cookie: string; csrf: string }, number: string): Promise<AgentSeat>;
  stop(): Promise<void>;
}

// `agents` seats, each with a registered desk phone and an accepted chat whose customer number is
// numberOf(i), which also gets a registered, answering phone.
// The phones' voice is SIPp's rtp_stream, or with rtp 'pcap' its play_pcap_audio (bench/sipp/).
// With `profileDir`, the server writes a V8 CPU profile (.cpuprofile) there when it stops.
export async function startRig(opts: { agents: number; numberOf: (i: number) => string; rtp: 'stream' | 'pcap'; profileDir?: string; deskPcma?: boolean }): Promise<Rig> {
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => console.error('cleanup failed:', err));
  };
  try {
    const runtimeDir = await mkdtemp(join(tmpdir(), 'mcc-bench-asterisk-'));
    cleanups.push(() => removeDir(runtimeDir));
    const ariPassword = randomBytes(24).toString('base64url');
    const configDir = await benchConfig(runtimeDir);
    const asterisk = await startAsterisk({ runtimeDir: join(runtimeDir, 'instance'), configDir, httpPort: 0, sipPort: 0, ariPassword });
    cleanups.push(() => asterisk.stop());

    const dataDir = await mkdtemp(join(tmpdir(), 'mcc-bench-data-'));
    cleanups.push(() => removeDir(dataDir));
    const ids = await seedAgents(dataDir, opts.agents);
    const server = await startServer({
      dataDir,
      ...(opts.profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] } : {}),
      // Every seat's chat comes from 127.0.0.1: the limit of chats started per address is lifted.
      env: { TELEPHONY: 'external', ARI_URL: asterisk.ariUrl, ARI_USER: asterisk.ariUser, ARI_PASSWORD: ariPassword, OFFER_TIMEOUT_S: '3600', MAX_CHATS_PER_AGENT: '5', CHATS_PER_ADDRESS_PER_HOUR: '1000000000' },
    });
    cleanups.push(() => server.stop());

    const ari = await connectAri(asterisk.ariUrl, asterisk.ariUser, ariPassword);
    const tap = new EventTap(ari);
    await (ari as unknown as { start(app: string, subscribeAll: boolean): Promise<void> }).start(BENCH_APP, true);
    cleanups.push(async () => ari.stop());
    cleanups.push(async () => agent.destroy());

    const sippDir = await mkdtemp(join(tmpdir(), 'mcc-bench-sipp-'));
    cleanups.push(() => removeDir(sippDir));
    const audio = join(sippDir, opts.rtp === 'pcap' ? 'tone.pcap' : 'tone.ulaw');
    await writePcmu(audio, opts.rtp, AUDIO_SECONDS);
    const phones = async (name: string, accounts: Array<{ user: string; password: string }>, pcma = false) => {
      const started = await SippPhones.start({ name, dir: sippDir, accounts, asteriskSipPort: asterisk.sipUdpPort, rtp: opts.rtp, audio, audioMs: AUDIO_SECONDS * 1000, maxSeconds: PHONES_MAX_SECONDS, pcma });
      cleanups.push(() => started.stop());
      return started;
    };
    const deskPasswords = await inBatches(ids, (id) => deskPasswordOf(server, id));
    const deskPhones = await phones('desk', ids.map((id, i) => ({ user: `${id}-desk`, password: deskPasswords[i]! })), opts.deskPcma);
    const lines = await inBatches(ids, (_, i) => ensureSimulatedPhone(ari, opts.numberOf(i), 'sip'));
    const customerPhones = await phones('customers', lines.map((l) => ({ user: l.username, password: l.password })));

    const post = (seat: { cookie: string; csrf: string }, path: string, body = '') =>
      httpPost(server.url + path, { cookie: seat.cookie, 'x-csrf-token': seat.csrf, 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded' }, body);
    // One agent Ready at a time, so each chat is offered to the agent meant to take it.
    const openChat = async (session: { id: string; cookie: string; csrf: string }, number: string): Promise<AgentSeat> => {
      await expectOk(post(session, '/desktop/presence', 'presence=ready'), 'presence');
      const res = await fetch(`${server.url}/api/v1/chats`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ service: 'roadside', name: 'Bench customer', phone: number }),
      });
      const chat = (await res.json()) as { id: string };
      await expectOk(post(session, `/desktop/interactions/${chat.id}/accept`), 'accept');
      await expectOk(post(session, '/desktop/presence', 'presence=not_ready'), 'presence');
      return { ...session, chatId: chat.id, number };
    };
    const sessions = await inBatches(ids, (id) => login(server, id, 'demo'));
    const seats: AgentSeat[] = [];
    for (let i = 0; i < ids.length; i++) seats.push(await openChat({ id: ids[i]!, ...sessions[i]! }, opts.numberOf(i)));
    return { asterisk, server, ari, tap, seats, deskPhones, customerPhones, post, openChat, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

// The demo services and agents, plus bench agents b001..bNNN, written before the server starts.
async function seedAgents(dataDir: string, count: number): Promise<string[]> {
  const database = openDurableDatabase(join(dataDir, 'contact-center.sqlite'), (err) => console.error(err));
  try {
    const directory = new SqliteDirectory(database.db, database.batcher);
    await seedDemoData(directory, 'demo', pino({ level: 'silent' }));
    const passwordHash = await hashPassword('demo');
    const ids = Array.from({ length: count }, (_, i) => `b${String(i + 1).padStart(3, '0')}`);
    for (const id of ids) await directory.saveAgent({ id, displayName: `Bench ${id}`, passwordHash, serviceIds: ['roadside'], role: 'agent' });
    return ids;
  } finally {
    await database.close();
  }
}

// The project's asterisk-config/, copied for the bench's Asterisk with its safety ceiling lifted.
async function benchConfig(runtimeDir: string): Promise<string> {
  const dir = join(runtimeDir, 'config');
  await mkdir(dir);
  for (const name of await readdir(DEFAULT_CONFIG_DIR)) {
    if (!name.endsWith('.conf')) continue;
    let text = await readFile(join(DEFAULT_CONFIG_DIR, name), 'utf8');
    if (name === 'asterisk.conf') {
      if (!/^maxcalls\s*=/m.test(text)) throw new Error('asterisk.conf has no maxcalls line to lift');
      text = text.replace(/^maxcalls\s*=.*$/m, `maxcalls = ${BENCH_MAXCALLS}`);
    }
    // bench:calls --record's cost probe (calls-recording-cost.ts): the dialplan's MixMonitor, beside
    // ARI's recordings, for comparison only (the controller has no clean way to start it over ARI).
    if (name === 'modules.conf') text += '\nload => app_mixmonitor.so\n';
    if (name === 'extensions.conf') text += `\n[bench-dialplan-mixmonitor]\nexten => _+Z!,1,MixMonitor(bench-mix-\${UNIQUEID}.wav)\n same => n,Dial(PJSIP/\${EXTEN}@trunk,30)\n same => n,Hangup()\n`;
    await writeFile(join(dir, name), text);
  }
  return dir;
}

// f over every item, 10 at a time, results in order.
async function inBatches<T, R>(items: T[], f: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += 10) out.push(...(await Promise.all(items.slice(i, i + 10).map((item, j) => f(item, i + j)))));
  return out;
}

// The moment the customer's phone answers: its channel (PJSIP/<digits>-...) goes Up. One call per
// number at a time. Registered before acting; resolves with performance.now() at the event.
export function customerAnswered(tap: EventTap, number: string, timeoutMs: number): Promise<number> {
  const prefix = `PJSIP/${number.replace(/^\+/, '')}-`;
  return tap.wait((e) => e.type === 'ChannelStateChange' && e.channel?.state === 'Up' && e.channel.name.startsWith(prefix), `${number} answered`, timeoutMs).then((got) => got.at);
}

export interface Reply {
  ok: boolean;
  status: number;
  text(): Promise<string>;
}

// The agent's clicks, as a lean keep-alive HTTP client sends them (fetch adds a millisecond of its own).
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
function httpPost(url: string, headers: Record<string, string>, body: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const status = res.statusCode ?? 0;
        resolve({ ok: status >= 200 && status < 300, status, text: async () => text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function expectOk(response: Promise<Reply>, what: string): Promise<void> {
  const res = await response;
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 200)}`);
}

// CPU time (user + system, seconds) of these processes so far.
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of the line)
  }
  return ticks / 100; // USER_HZ
}

// CPU time (seconds) the whole machine spent busy so far, every core (user, nice, system, irq, softirq,
// steal: all but idle and iowait).
export function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields as [number, number, number, number, number, number, number, number];
  return (user + nice + system + irq + softirq + steal) / 100; // USER_HZ
}

// A promise that gives up after `ms` (a request to a saturated machine may otherwise wait for ever).
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

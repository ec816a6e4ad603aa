// The local Asterisk's supervision without an Asterisk: the restart policy as a pure function, and the
// supervisor driving fake instances that "die" when told.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readAsteriskEnv, writeAsteriskEnv } from '../../src/ari/asterisk/env-file.ts';
import type { AsteriskInstance, StartAsteriskOptions } from '../../src/ari/asterisk/process.ts';
import { nextRestartDelay, type RestartPolicy } from '../../src/ari/asterisk/restart-policy.ts';
import { AsteriskSupervisor } from '../../src/ari/asterisk/supervisor.ts';
import { loadConfig } from '../../src/config.ts';
import { eventually } from '../helpers/eventually.ts';

t.test('restart delays: 0.5 s, doubling to 10 s, back to 0.5 s after a stable minute', async (t) => {
  let delay: number | null = null;
  const seen: number[] = [];
  for (let i = 0; i < 8; i++) seen.push((delay = nextRestartDelay(delay, 1000)));
  t.same(seen, [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000], 'a crash loop backs off to the cap');
  t.equal(nextRestartDelay(10_000, 60_000), 500, 'a run of a minute counts as stable');
  t.equal(nextRestartDelay(10_000, 59_999), 10_000, 'a shorter one does not');
  t.equal(nextRestartDelay(4000, 0), 8000, 'a start that failed doubles too');
  const policy: RestartPolicy = { minDelayMs: 10, maxDelayMs: 25, stableAfterMs: 100 };
  t.same([nextRestartDelay(null, 0, policy), nextRestartDelay(10, 5, policy), nextRestartDelay(20, 5, policy)], [10, 20, 25], 'its own policy');
});

type Fake = AsteriskInstance & { die(info: string): void };

function fakes() {
  const started: Array<{ opts: StartAsteriskOptions; instance: Fake }> = [];
  let failNext = 0;
  const start = async (opts: StartAsteriskOptions): Promise<AsteriskInstance> => {
    if (failNext > 0) {
      failNext -= 1;
      throw new Error('port busy');
    }
    let die!: (info: string) => void;
    const exited = new Promise<string>((resolve) => (die = resolve));
    const instance = {
      ariUrl: 'http://127.0.0.1:18088',
      ariUser: 'contact-center',
      ariPassword: opts.ariPassword ?? 'first-password',
      sipWsUrl: 'ws://127.0.0.1:18088/ws',
      sipUdpPort: opts.sipPort === 0 ? 15060 : opts.sipPort!,
      httpPort: opts.httpPort === 0 ? 18088 : opts.httpPort!,
      rtpStart: 10000,
      rtpEnd: 20000,
      pid: 1000 + started.length,
      bind: '127.0.0.1',
      runtimeDir: opts.runtimeDir,
      exited,
      installation: { mode: 'host', binary: '/bin/false' },
      cli: async () => '',
      stop: async () => die('stopped'),
      die,
    } satisfies Fake;
    started.push({ opts, instance });
    return instance;
  };
  return { started, start, failNextStarts: (n: number) => (failNext = n) };
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const policy: RestartPolicy = { minDelayMs: 20, maxDelayMs: 80, stableAfterMs: 60_000 };

t.test('the supervisor starts Asterisk again when it dies, with the same ports and password', async (t) => {
  const f = fakes();
  const exits: string[] = [];
  const restarted: number[] = [];
  const supervisor = new AsteriskSupervisor({
    asterisk: { runtimeDir: '/tmp/x', httpPort: 0, sipPort: 0 },
    logger: quiet,
    policy,
    start: f.start,
    onExit: (info) => exits.push(info),
    onRestarted: (instance) => restarted.push(instance.pid),
  });
  const first = await supervisor.start();
  t.match(supervisor.status(), { state: 'running', pid: 1000, restarts: 0, lastRestartAt: null });

  (first as Fake).die('signal SIGKILL');
  await eventually('restarted', async () => (restarted.length === 1 ? true : undefined), 2000);
  t.same(exits, ['signal SIGKILL'], 'the exit was told once');
  const again = f.started[1]!.opts;
  t.match(again, { httpPort: 18088, sipPort: 15060, ariPassword: 'first-password' }, 'the ports chosen first and the password are kept');
  const status = supervisor.status();
  t.match(status, { state: 'running', pid: 1001, restarts: 1, lastExit: 'signal SIGKILL' });
  t.ok(status.lastRestartAt && !Number.isNaN(Date.parse(status.lastRestartAt)), 'lastRestartAt says when (it was null before the restart)');

  // Dies again, and the next two starts fail: it keeps trying (how much later each time: the policy, above).
  f.failNextStarts(2);
  f.started[1]!.instance.die('code 1');
  await eventually('restarted twice', async () => (restarted.length === 2 ? true : undefined), 2000);
  t.equal(f.started.length, 3, 'the failed starts made no instance');
  t.equal(supervisor.status().restarts, 2);

  await supervisor.stop();
  t.equal(supervisor.status().state, 'stopped');
  t.same(exits.length, 2, 'a planned stop is no exit to report');
  await new Promise((r) => setTimeout(r, policy.maxDelayMs * 2));
  t.equal(f.started.length, 3, 'nothing starts after stop()');
});

t.test('stop() during a restart waits for it and stops what it started', async (t) => {
  const f = fakes();
  const supervisor = new AsteriskSupervisor({ asterisk: { runtimeDir: '/tmp/x' }, logger: quiet, policy: { ...policy, minDelayMs: 200 }, start: f.start });
  const first = (await supervisor.start()) as Fake;
  first.die('signal SIGSEGV');
  t.equal(supervisor.status().state, 'running', 'until the exit is seen');
  await eventually('restarting', async () => (supervisor.status().state === 'restarting' ? true : undefined), 1000);
  await supervisor.stop();
  await new Promise((r) => setTimeout(r, 300));
  t.equal(f.started.length, 1, 'the pending restart was cancelled');
});

t.test('the env file: written 0600 whole, read by loadConfig when ASTERISK_ENV_FILE names it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mcc-env-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'asterisk.env');
  await writeAsteriskEnv(file, { ARI_URL: 'http://10.0.0.5:8088', ARI_USER: 'contact-center', ARI_PASSWORD: 'secret=with=equals' });
  t.equal(await readFile(file, 'utf8'), 'ARI_URL=http://10.0.0.5:8088\nARI_USER=contact-center\nARI_PASSWORD=secret=with=equals\n');
  t.equal((await stat(file)).mode & 0o777, 0o600, 'only the owner reads the password');
  t.same(readAsteriskEnv(file), { ARI_URL: 'http://10.0.0.5:8088', ARI_USER: 'contact-center', ARI_PASSWORD: 'secret=with=equals' });

  const config = loadConfig({ ASTERISK_ENV_FILE: file, DATA_DIR: dir });
  t.match(config, { telephony: 'external', ariUrl: 'http://10.0.0.5:8088', ariUser: 'contact-center', ariPassword: 'secret=with=equals' });
  t.equal(loadConfig({ ASTERISK_ENV_FILE: file, ARI_USER: 'other', DATA_DIR: dir }).ariUser, 'other', 'a variable set in the environment wins');
  t.throws(() => loadConfig({ ASTERISK_ENV_FILE: join(dir, 'missing.env') }), /ASTERISK_ENV_FILE .*missing\.env cannot be read/);
});

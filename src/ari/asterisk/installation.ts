// Which Asterisk runs, and how it is run: an `asterisk` installed on the host, else the Debian sid chroot
// built by scripts/provision-asterisk.sh. spawnAsterisk() and runCli() hold what differs between the two.
//
// In the chroot, each instance runs in a private mount namespace (unshare): its runtime directory is
// bind-mounted at /srv/mobile-contact-center and /proc is mounted there, visible to that instance only.
// The kernel drops those mounts when the instance ends, however it ends, so nothing is left mounted.
// The instance also gets SIGTERM when the Node process that started it dies (setpriv --pdeathsig).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

export type AsteriskInstallation =
  | { mode: 'host'; binary: string }
  | { mode: 'chroot'; root: string; binary: string };

/** Where an instance's runtime directory appears inside the chroot (the provisioning script creates it). */
export const CHROOT_RUNTIME_DIR = '/srv/mobile-contact-center';

const CHROOT_MARKER = '.mobile-contact-center-asterisk';
const CHROOT_BINARY = '/usr/sbin/asterisk';
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

export function spawnAsterisk(inst: AsteriskInstallation, runtimeDir: string, confFile: string): ChildProcess {
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

export function runCli(inst: AsteriskInstallation, pid: number, confFile: string, command: string): Promise<string> {
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

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

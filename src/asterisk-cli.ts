// `npm run asterisk`: the project's Asterisk alone, in the foreground, for nodes that run elsewhere or
// apart (a cluster, or a controller restarted without its calls). asterisk-config/, ports from
// ASTERISK_HTTP_PORT / ASTERISK_SIP_PORT (0: free ones), bind address ASTERISK_BIND. It is supervised
// (started again with backoff when it dies, same ports and ARI password) and ends on SIGTERM/SIGINT.
// Where it is goes to $DATA_DIR/asterisk.env (ARI_URL, ARI_USER, ARI_PASSWORD), which nodes read when
// ASTERISK_ENV_FILE names it. The password of an earlier run's file is kept, so nodes need no change.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readAsteriskEnv, writeAsteriskEnv } from './ari/asterisk/env-file.ts';
import { AsteriskSupervisor } from './ari/asterisk/supervisor.ts';
import { createLogger } from './logging.ts';
import { privateDataDir } from './store/files/data-dir.ts';
import { stopWithParent } from './parent-watch.ts';

async function main(): Promise<void> {
  const env = process.env;
  const logger = createLogger(env.LOG_LEVEL || 'info');
  const dataDir = resolve(env.DATA_DIR || './data');
  privateDataDir(dataDir);
  const envFile = join(dataDir, 'asterisk.env');
  const bind = env.ASTERISK_BIND || '127.0.0.1';
  const log = logger.child({ part: 'asterisk' });
  const earlier = existsSync(envFile) ? earlierPassword(envFile) : undefined;
  const supervisor = new AsteriskSupervisor({
    asterisk: {
      runtimeDir: join(dataDir, 'asterisk'),
      httpPort: port('ASTERISK_HTTP_PORT', 8088),
      sipPort: port('ASTERISK_SIP_PORT', 5060),
      bind,
      ...(earlier ? { ariPassword: earlier } : {}),
      logger: { info: (m) => log.debug(m), warn: (m) => log.warn(m), error: (m) => log.error(m) },
    },
    logger: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) },
    onRestarted: (instance) => logger.info({ asteriskPid: instance.pid, restarts: supervisor.status().restarts }, 'asterisk restarted'),
  });

  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    stopping ??= (async () => {
      logger.info({ signal }, 'stopping');
      await supervisor.stop();
      logger.info('stopped');
    })().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'stopping Asterisk failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  stopWithParent(stop);

  const asterisk = await supervisor.start();
  await writeAsteriskEnv(envFile, { ARI_URL: asterisk.ariUrl, ARI_USER: asterisk.ariUser, ARI_PASSWORD: asterisk.ariPassword });
  if (bind !== '127.0.0.1') logger.warn({ bind }, 'ARI is reachable beyond this machine, protected by its password alone: put a firewall or TLS in front');
  logger.info({ asteriskPid: asterisk.pid, ariUrl: asterisk.ariUrl, sipPort: asterisk.sipUdpPort, envFile, nodes: `ASTERISK_ENV_FILE=${envFile} npm start` }, 'asterisk running');
}

function port(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number (0 picks a free one), got "${value}"`);
  return n;
}

function earlierPassword(envFile: string): string | undefined {
  try {
    return readAsteriskEnv(envFile).ARI_PASSWORD;
  } catch {
    return undefined; // unreadable or incomplete: a new password, and the file is written anew
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

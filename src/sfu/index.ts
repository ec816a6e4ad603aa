// Entry point of the SFU adapter: start the workers and the video sessions in one call.
import { VideoSessions, type VideoSessionsOptions } from './video-sessions.ts';
import { WorkerPool, type WorkerPoolOptions } from './workers.ts';
import type { VideoSfu } from './types.ts';

export type { VideoSfu } from './types.ts';
export { SfuError } from './errors.ts';

export type VideoSfuOptions = WorkerPoolOptions & Omit<VideoSessionsOptions, 'ownsPool'>;

/** Starts the mediasoup workers and returns the SFU; its close() also stops the workers. */
export async function startVideoSfu(options: VideoSfuOptions = {}): Promise<VideoSfu> {
  const pool = await WorkerPool.start(options);
  return new VideoSessions(pool, { ...options, ownsPool: true });
}

/**
 * The domain's VideoRooms port (src/domain/ports.ts: open/close by session id), matched structurally so
 * this adapter does not import the domain. close() is idempotent, like the SFU's.
 */
export function videoRoomsPort(sfu: VideoSfu): { open(sessionId: string): Promise<void>; close(sessionId: string): Promise<void> } {
  return {
    async open(sessionId) {
      await sfu.openSession({ sessionId });
    },
    async close(sessionId) {
      sfu.closeSession({ sessionId });
    },
  };
}

/**
 * Options from the environment: MEDIASOUP_WORKER_BIN, SFU_WORKERS, SFU_RTC_MIN_PORT, SFU_RTC_MAX_PORT,
 * SFU_LISTEN_IP (default 127.0.0.1), SFU_ANNOUNCED_IP.
 */
export function sfuOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): VideoSfuOptions {
  return {
    workerBin: env.MEDIASOUP_WORKER_BIN || undefined,
    numWorkers: optionalInt(env.SFU_WORKERS, 'SFU_WORKERS'),
    rtcMinPort: optionalInt(env.SFU_RTC_MIN_PORT, 'SFU_RTC_MIN_PORT'),
    rtcMaxPort: optionalInt(env.SFU_RTC_MAX_PORT, 'SFU_RTC_MAX_PORT'),
    listenIp: env.SFU_LISTEN_IP || undefined,
    announcedIp: env.SFU_ANNOUNCED_IP || undefined,
  };
}

function optionalInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`${name}: expected an integer 1-65535, got "${value}"`);
  return n;
}

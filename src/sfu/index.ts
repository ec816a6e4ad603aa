// Entry point of the SFU adapter, and the only module imported from outside src/sfu: start the workers
// and the video rooms in one call.
import { accessSync, constants as fsConstants } from 'node:fs';
import { DomainError } from '../domain/errors.ts';
import type { VideoRooms } from '../domain/ports.ts';
import type { SfuLogger, VideoSfu } from './types.ts';
import { videoRoomsPort } from './video-rooms.ts';
import { VideoSessions, type VideoSessionsOptions } from './video-sessions.ts';
import { resolveWorkerBin, WorkerPool, type WorkerPoolOptions } from './workers.ts';

export type { VideoSfu } from './types.ts';
export { SfuError } from './errors.ts';
export { videoRoomsPort } from './video-rooms.ts';
// For bench:video, which drives one worker's rooms directly.
export { VideoSessions } from './video-sessions.ts';
export { WorkerPool } from './workers.ts';

export type VideoSfuOptions = WorkerPoolOptions & Omit<VideoSessionsOptions, 'ownsPool'>;

/** Starts the mediasoup workers and returns the SFU; its close() also stops the workers. */
export async function startVideoSfu(options: VideoSfuOptions = {}): Promise<VideoSfu> {
  const pool = await WorkerPool.start(options);
  return new VideoSessions(pool, { ...options, ownsPool: true });
}

// Video as the product runs it: optional like voice (without mediasoup workers the rest runs, and
// video requests answer 503), its rooms the domain's VideoRooms port. Built without starting: the
// workers start with start(), which the node that runs the rules calls (a single node at once, a
// cluster's node when it leads); a follower's video goes to the leader's SFU, so it starts none.
export interface Video {
  readonly rooms: VideoRooms;
  // Resolves true once the workers run, false if they could not start (said in health(), logged).
  start(): Promise<boolean>;
  // Rooms lost with their worker go to `onRoomLost` (the rules end that video).
  connect(sinks: { onRoomLost: (sessionId: string) => void }): void;
  health(): ReturnType<typeof sfuHealth>;
  close(): Promise<void>;
}

export function createVideo(options: VideoSfuOptions & { logger: SfuLogger }): Video {
  let sfu: VideoSfu | null = null;
  let startError: unknown;
  let started: Promise<boolean> | undefined;
  let onRoomLost: ((sessionId: string) => void) | undefined;
  let rooms: VideoRooms | null = null;
  const running = (): VideoRooms => rooms ?? notRunning();
  return {
    rooms: {
      open: (sessionId) => Promise.resolve().then(() => running().open(sessionId)),
      close: (sessionId) => (rooms ? rooms.close(sessionId) : Promise.resolve()),
      signal: (sessionId, participant, request) => Promise.resolve().then(() => running().signal(sessionId, participant, request)),
      leave: (sessionId, participant) => rooms?.leave(sessionId, participant),
      dump: (sessionId) => Promise.resolve().then(() => running().dump(sessionId)),
    },
    start: () =>
      (started ??= startVideoSfu(options).then(
        (up) => {
          sfu = up;
          rooms = videoRoomsPort(up);
          if (onRoomLost) onSessionLost(up, onRoomLost);
          return true;
        },
        (error: unknown) => {
          options.logger.error({ err: error }, 'the video SFU did not start: video is unavailable');
          startError = error;
          return false;
        },
      )),
    connect: (sinks) => {
      onRoomLost = sinks.onRoomLost;
      if (sfu) onSessionLost(sfu, sinks.onRoomLost);
    },
    health: () => (started ? sfuHealth(sfu, startError) : standbyHealth(resolveWorkerBin(options.workerBin))),
    close: async () => {
      if (await started) await sfu?.close();
    },
  };
}

// A follower's SFU, not started: what would keep it from starting when this node leads (its worker
// missing) is said now, not at the failover.
function standbyHealth(workerBin: string): ReturnType<typeof sfuHealth> {
  try {
    accessSync(workerBin, fsConstants.X_OK);
  } catch {
    return { state: 'down', detail: `this node could not run video if it led: mediasoup worker not found at ${workerBin}` };
  }
  return { state: 'standby', detail: 'video runs on the leader of the cluster; this node starts its SFU if it leads' };
}

const notRunning = (): never => {
  throw new DomainError('unavailable', 'video_unavailable', 'Video is not available on this server.');
};

/**
 * Calls `lost(sessionId)` when a session's router goes away with its worker (not on a normal close), so
 * the rules can end that video. Returns the unsubscribe function.
 */
export function onSessionLost(sfu: VideoSfu, lost: (sessionId: string) => void): () => void {
  const listener = (e: { sessionId: string; reason: 'closed' | 'worker_died' }) => {
    if (e.reason === 'worker_died') lost(e.sessionId);
  };
  sfu.on('sessionclosed', listener);
  return () => sfu.off('sessionclosed', listener);
}

/** The 'sfu' part of /healthz: up with its counts, or down with the reason it did not start. */
export function sfuHealth(sfu: VideoSfu | null, startError?: unknown): { state: string; detail: string; workers?: number; routers?: number; sessions?: number } {
  if (!sfu) return { state: 'down', detail: startError instanceof Error ? startError.message : 'the video SFU is not running' };
  const h = sfu.health();
  return { state: h.ok ? 'up' : 'down', detail: `${h.workers} mediasoup worker(s), ${h.sessions} video session(s)`, workers: h.workers, routers: h.routers, sessions: h.sessions };
}

/**
 * Options from the environment: MEDIASOUP_WORKER_BIN, SFU_WORKERS, SFU_RTC_MIN_PORT, SFU_RTC_MAX_PORT,
 * SFU_LISTEN_IP (default 127.0.0.1), SFU_ANNOUNCED_IP, SFU_SILENT_TRANSPORT_S (default 30).
 */
export function sfuOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): VideoSfuOptions {
  return {
    workerBin: env.MEDIASOUP_WORKER_BIN || undefined,
    numWorkers: optionalInt(env.SFU_WORKERS, 'SFU_WORKERS'),
    rtcMinPort: optionalInt(env.SFU_RTC_MIN_PORT, 'SFU_RTC_MIN_PORT'),
    rtcMaxPort: optionalInt(env.SFU_RTC_MAX_PORT, 'SFU_RTC_MAX_PORT'),
    listenIp: env.SFU_LISTEN_IP || undefined,
    announcedIp: env.SFU_ANNOUNCED_IP || undefined,
    silentTransportMs: seconds(optionalInt(env.SFU_SILENT_TRANSPORT_S, 'SFU_SILENT_TRANSPORT_S', 10)),
  };
}

function optionalInt(value: string | undefined, name: string, min = 1): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > 65535) throw new Error(`${name}: expected an integer ${min}-65535, got "${value}"`);
  return n;
}

const seconds = (s: number | undefined) => (s === undefined ? undefined : s * 1000);

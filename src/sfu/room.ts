// A video room: what the SFU holds for one video session of the domain (a router, and each participant's
// transports, producers and consumers), and the small helpers the SFU adapter shares. mediasoup types
// stay inside src/sfu.
import type { types as ms } from 'mediasoup';
import { SfuError } from './errors.ts';
import type { JsonRecord, Participant } from './types.ts';

export const PARTICIPANTS: readonly Participant[] = ['agent', 'customer'];

/** VP8 video and Opus audio: what every WebRTC browser sends. */
export const MEDIA_CODECS: ms.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 1000 } },
];

export interface ParticipantState {
  transports: Map<string, ms.WebRtcTransport>;
  producers: Map<string, ms.Producer>;
  consumers: Map<string, ms.Consumer>;
  pendingTransports: number;
  // Tracks asked for and not made yet: requests sent at once must not pass the cap together.
  pendingProducers: number;
  // Consumers being made, by `${transportId} ${producerId}`: one per track and transport, however many asks.
  pendingConsumers: Set<string>;
}

export class VideoRoom {
  readonly id: string;
  router: ms.Router | undefined;
  /** Set by closeSession()/close(); a router created after that is closed at once. */
  closing = false;
  closed = false;
  readonly participants = new Map<Participant, ParticipantState>();
  ready: Promise<void> = Promise.resolve();

  constructor(id: string) {
    this.id = id;
  }

  participant(p: Participant): ParticipantState {
    let state = this.participants.get(p);
    if (!state) {
      state = { transports: new Map(), producers: new Map(), consumers: new Map(), pendingTransports: 0, pendingProducers: 0, pendingConsumers: new Set() };
      this.participants.set(p, state);
    }
    return state;
  }
}

export function checkParticipant(p: unknown): asserts p is Participant {
  if (p !== 'agent' && p !== 'customer') {
    throw new SfuError('invalid', 'invalid_participant', 'participant must be "agent" or "customer"');
  }
}

export function invalid(message: string): SfuError {
  return new SfuError('invalid', 'invalid_parameters', message);
}

export function closedRoom(sessionId: string, cause?: unknown): SfuError {
  return new SfuError('conflict', 'video_session_closed', `video session ${sessionId} was closed`, { cause });
}

/** A mediasoup call's failure as an SfuError: bad parameters, the room closed meanwhile, or another refusal. */
export function mediasoupFailure(err: unknown, room: Pick<VideoRoom, 'id' | 'closing'>): SfuError {
  if (err instanceof SfuError) return err;
  const name = err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : String(err);
  if (room.closing || name === 'InvalidStateError') return closedRoom(room.id, err);
  if (name === 'TypeError' || name === 'UnsupportedError') return new SfuError('invalid', 'invalid_parameters', message, { cause: err });
  // Any other refusal of the worker (e.g. a transport connected twice).
  return new SfuError('conflict', 'sfu_request_failed', message, { cause: err });
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** mediasoup objects to plain JSON (drops undefined, detaches from mediasoup's internal objects). */
export function toJson(v: unknown): JsonRecord {
  return JSON.parse(JSON.stringify(v)) as JsonRecord;
}

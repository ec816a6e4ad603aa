// The domain's VideoRooms port over the project's VideoSfu: maps each VideoSignal op of a participant's
// browser to one SFU call, and SfuErrors to DomainErrors (same kind words, same codes) at this boundary,
// so the web layer answers them like any other rule's refusal.
import { DomainError } from '../domain/errors.ts';
import type { VideoParticipant, VideoRoomDump, VideoRooms, VideoSignal } from '../domain/ports.ts';
import { SfuError } from './errors.ts';
import type { VideoSfu } from './types.ts';

export function videoRoomsPort(sfu: VideoSfu): VideoRooms {
  return {
    open: (sessionId) =>
      guard(async () => {
        await sfu.openSession({ sessionId });
      }),
    close: async (sessionId) => {
      sfu.closeSession({ sessionId });
    },
    signal: (sessionId, participant, request) => guard(() => signal(sfu, sessionId, participant, request)),
    leave: (sessionId, participant) => sfu.closeParticipant({ sessionId, participant }),
    dump: (sessionId) =>
      guard(async (): Promise<VideoRoomDump> => {
        const d = await sfu.dump({ sessionId });
        return { transports: d.transports, producers: d.producers, consumers: d.consumers, participants: d.participants };
      }),
  };
}

async function signal(sfu: VideoSfu, sessionId: string, participant: VideoParticipant, request: VideoSignal): Promise<unknown> {
  const ref = { sessionId, participant };
  switch (request.op) {
    // Rooms are opened by Allow alone: a request arriving after the video ended must not open one again,
    // which nothing would close.
    case 'capabilities':
      return sfu.sessionCapabilities(ref);
    case 'create_transport':
      return sfu.createTransport(ref);
    case 'connect_transport':
      await sfu.connectTransport({ ...ref, transportId: request.transportId, dtlsParameters: request.dtlsParameters });
      return { connected: true };
    case 'produce':
      return sfu.produce({ ...ref, transportId: request.transportId, kind: request.kind, rtpParameters: request.rtpParameters });
    case 'close_producer':
      sfu.closeProducer({ ...ref, producerId: request.producerId });
      return { closed: true };
    case 'consume': {
      const consumers = await sfu.consume({ ...ref, transportId: request.transportId, rtpCapabilities: request.rtpCapabilities });
      // `live`: the consumers still open, so the browser drops the ones whose producer went away.
      return { consumers, live: sfu.consumerIds(ref) };
    }
    case 'resume':
      await sfu.resumeConsumer({ ...ref, consumerId: request.consumerId });
      return { resumed: true };
    case 'close_transport':
      sfu.closeTransport({ ...ref, transportId: request.transportId });
      return { closed: true };
  }
}

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toDomainError(err);
  }
}

/** SfuError kinds use the domain's words; anything else (a bug) goes on untouched and becomes a 500. */
export function toDomainError(err: unknown): unknown {
  if (!(err instanceof SfuError)) return err;
  const e = new DomainError(err.kind, err.code, err.message);
  e.cause = err;
  return e;
}

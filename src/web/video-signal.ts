import { z } from 'zod';
import type { VideoSignal } from '../domain/ports.ts';
import { parseBody } from './mobile-api/schemas.ts';

// The shape of a video signaling request, shared by the customer's and the agent's endpoints. Only the
// envelope is checked here: RTP and DTLS parameters are the SFU's to judge (it answers 400 on bad ones).
const id = z.string().min(1).max(100);
const params = z.record(z.string(), z.unknown());

export const videoSignalSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('capabilities') }).strict(),
  z.object({ op: z.literal('create_transport') }).strict(),
  z.object({ op: z.literal('connect_transport'), transportId: id, dtlsParameters: params }).strict(),
  z.object({ op: z.literal('produce'), transportId: id, kind: z.enum(['audio', 'video']), rtpParameters: params }).strict(),
  z.object({ op: z.literal('close_producer'), producerId: id }).strict(),
  z.object({ op: z.literal('consume'), transportId: id, rtpCapabilities: params }).strict(),
  z.object({ op: z.literal('resume'), consumerId: id }).strict(),
  z.object({ op: z.literal('close_transport'), transportId: id }).strict(),
]);

export const VIDEO_SIGNAL_OPS = videoSignalSchema.options.map((o) => o.shape.op.value);

export function parseVideoSignal(body: unknown): VideoSignal {
  return parseBody(videoSignalSchema, body);
}

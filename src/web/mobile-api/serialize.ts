import { z } from 'zod';
import type { InteractionRecord } from '../../domain/interaction.ts';
import type { TimelineEntry } from '../../domain/timeline.ts';
import type { VideoSession } from '../../domain/video-session.ts';
import { locationSchema } from './schemas.ts';

// The JSON shapes of the public mobile API: snake_case, ISO times. Each serializer returns the input type
// of its schema, and the schemas are the OpenAPI document's (openapi.ts), so the two cannot drift apart.

export const videoJsonSchema = z.object({
  id: z.string(),
  state: z.enum(['requested', 'active', 'declined', 'closed']),
  ended_by: z.enum(['customer', 'agent', 'system']).nullable(),
});

export const messageJsonSchema = z.object({
  id: z.string(),
  seq: z.number().int().meta({ description: 'Position in the chat; use it with ?after= to catch up.' }),
  // Messages and photos come from the customer or an agent; `system` is in the timeline's type, never sent today.
  author: z.enum(['customer', 'agent', 'system']),
  text: z.string().nullable(),
  client_id: z.string().nullable(),
  attachment: z
    .object({
      id: z.string(),
      content_type: z.string(),
      size: z.number().int(),
      file_name: z.string(),
      url: z.string().meta({ description: 'GET with the chat token.' }),
    })
    .nullable(),
  created_at: z.iso.datetime(),
});

export const chatJsonSchema = z.object({
  id: z.string(),
  service: z.string(),
  state: z.enum(['queued', 'offered', 'active', 'ended']),
  customer: z.object({ name: z.string(), phone: z.string() }),
  agent: z.object({ name: z.string() }).nullable(),
  video: videoJsonSchema.nullable(),
  context: z.object({ fields: z.record(z.string(), z.string()), location: locationSchema.nullable() }),
  rated: z
    .boolean()
    .optional()
    .meta({ description: 'In GET /chats/{id} once the chat has ended: whether it has been rated (POST /chats/{id}/rating is accepted once).' }),
});

type Json<S extends z.ZodType> = z.input<S>;

export function messageJson(entry: TimelineEntry): Json<typeof messageJsonSchema> {
  const a = entry.attachment;
  return {
    id: entry.id,
    seq: entry.seq,
    author: entry.author,
    text: entry.text,
    client_id: entry.clientId,
    attachment: a
      ? {
          id: a.attachmentId,
          content_type: a.contentType,
          size: a.size,
          file_name: a.fileName,
          url: `/api/v1/chats/${entry.interactionId}/attachments/${a.attachmentId}`,
        }
      : null,
    created_at: new Date(entry.createdAt).toISOString(),
  };
}

// `rated` is given for an ended chat whose page may offer Rate (GET /chats/{id}).
export function chatJson(rec: InteractionRecord, agentName: string | null, rated?: boolean): Json<typeof chatJsonSchema> {
  const loc = rec.context.location;
  return {
    id: rec.id,
    service: rec.serviceId,
    state: rec.state,
    customer: { name: rec.customer.name, phone: rec.customer.phone },
    agent: agentName ? { name: agentName } : null,
    video: rec.video ? videoJson(rec.video) : null,
    context: {
      fields: rec.context.fields,
      location: loc ? { lat: loc.lat, lon: loc.lon, ...(loc.accuracyM !== undefined ? { accuracy_m: loc.accuracyM } : {}) } : null,
    },
    ...(rated === undefined ? {} : { rated }),
  };
}

export function videoJson(video: VideoSession): Json<typeof videoJsonSchema> {
  return { id: video.id, state: video.state, ended_by: video.endedBy };
}

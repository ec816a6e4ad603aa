import type { InteractionRecord } from '../../domain/interaction.ts';
import type { TimelineEntry } from '../../domain/timeline.ts';
import type { VideoSession } from '../../domain/video-session.ts';

// The JSON shapes of the public mobile API (see openapi.ts): snake_case, ISO times.
export function messageJson(entry: TimelineEntry) {
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

export function chatJson(rec: InteractionRecord, agentName: string | null) {
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
  };
}

export function videoJson(video: VideoSession) {
  return { id: video.id, state: video.state, ended_by: video.endedBy };
}

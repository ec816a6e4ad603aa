// OpenAPI 3.1 description of the public mobile API and of the SMS gateways' webhook, served at
// /api/v1/openapi.json. The integration tests check the server against it, so it stays true.
import { z } from 'zod';
import { LIMITS } from '../domain/limits.ts';
import { inboundSchema, statusSchema } from '../sms/webhook.ts';
import { contextSchema, newChatSchema, newMessageSchema, newPhotoSchema, newRatingSchema, ratingJsonSchema } from './mobile-api/schemas.ts';
import { chatJsonSchema, messageJsonSchema, videoJsonSchema } from './mobile-api/serialize.ts';
import { videoSignalSchema } from './video-signal.ts';
import { START_KEY } from '../domain/chat-starts.ts';

// The zod schemas that check the requests and type the answers are the document's schemas, so every
// limit and pattern is written once. OpenAPI 3.1 takes JSON Schema 2020-12 as it is; `io: 'input'` keeps
// answers open to fields added later, as the hand-written document did.
const components = z.registry<{ id: string }>();
const named = {
  Context: contextSchema,
  Chat: chatJsonSchema,
  Message: messageJsonSchema,
  Video: videoJsonSchema,
  NewChat: newChatSchema,
  NewMessage: newMessageSchema,
  NewPhoto: newPhotoSchema,
  NewRating: newRatingSchema,
  Rating: ratingJsonSchema,
  VideoSignal: videoSignalSchema,
  SmsInbound: inboundSchema,
  SmsStatus: statusSchema,
};
for (const [id, schema] of Object.entries(named)) components.add(schema, { id });

const generated = z.toJSONSchema(components, {
  target: 'draft-2020-12',
  io: 'input',
  uri: (id) => `#/components/schemas/${id}`,
  // zod states the bounds of a safe integer and the regex behind its date-time check; to a client
  // `integer` and `format: date-time` say it all.
  override: ({ jsonSchema: s }) => {
    if (s.type === 'integer' && s.minimum === Number.MIN_SAFE_INTEGER) delete s.minimum;
    if (s.type === 'integer' && s.maximum === Number.MAX_SAFE_INTEGER) delete s.maximum;
    if (s.format === 'date-time') delete s.pattern;
  },
}).schemas;
// Each schema is emitted as a document of its own; inside components its place is its identity.
const schemas = Object.fromEntries(
  Object.entries(generated).map(([id, schema]) => {
    const body = { ...schema };
    delete body.$schema;
    delete body.$id;
    return [id, body];
  }),
);

const ref = (id: keyof typeof named) => ({ $ref: `#/components/schemas/${id}` });
const error = { $ref: '#/components/responses/Error' };
const rateLimited = { $ref: '#/components/responses/RateLimited' };
const bearer = [{ chatToken: [] }];
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const afterParam = { name: 'after', in: 'query', schema: { type: 'integer', minimum: 0 } };
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
/** A required JSON request body. */
const jsonBody = (schema: object) => ({ required: true, ...json(schema) });
/** An answer with a JSON body. */
const answer = (description: string, schema: object) => ({ description, ...json(schema) });
/** The error answers of an operation, by status. */
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), s === 429 ? rateLimited : error]));

/** An operation on one chat, opened by its token. */
function onChat(op: { summary: string; description?: string; body?: object; responses: object }) {
  return {
    summary: op.summary,
    ...(op.description === undefined ? {} : { description: op.description }),
    security: bearer,
    parameters: [idParam],
    ...(op.body === undefined ? {} : { requestBody: jsonBody(op.body) }),
    responses: op.responses,
  };
}

/**
 * A POST of an SMS gateway's webhook: signed, a JSON body, and `taken` for 200; the other answers are the
 * same for every webhook (malformed, bad signature, unknown number or id, too large, not configured).
 */
function smsWebhook(op: { summary: string; description?: string; body: object; taken: object }) {
  return {
    post: {
      summary: op.summary,
      ...(op.description === undefined ? {} : { description: op.description }),
      security: [{ smsSignature: [] }],
      requestBody: jsonBody(op.body),
      responses: { '200': op.taken, ...errors(400, 401, 404, 413, 503) },
    },
  };
}

const idAndStatus = (status: object) => ({ type: 'object', required: ['id', 'status'], properties: { id: { type: 'string' }, status } });

const errorBody = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } },
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Mobile contact-center API',
    version: '1.0.0',
    description:
      'Start a chat with a service, send messages, photos and context, follow it live. Errors are {"error":{"code","message"}}.',
  },
  servers: [{ url: '/api/v1' }],
  components: {
    securitySchemes: {
      chatToken: { type: 'http', scheme: 'bearer', description: 'The token returned by POST /chats; it opens that chat only.' },
      smsSignature: {
        type: 'apiKey',
        in: 'header',
        name: 'X-Signature',
        description: 'SMS gateways: sha256=<hex HMAC-SHA256 of the raw request body> with the shared secret (SMS_WEBHOOK_SECRET).',
      },
    },
    schemas,
    responses: {
      Error: { description: 'The request was refused', ...json(errorBody) },
      RateLimited: {
        description: 'An abuse limit was met (code rate_limited); the same request may succeed after Retry-After seconds',
        headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer', minimum: 1 } } },
        ...json(errorBody),
      },
    },
  },
  paths: {
    '/chats': {
      post: {
        summary: 'Start a chat; sent again with the same Idempotency-Key, it answers with the chat (and token) the first one started',
        parameters: [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            description: 'A random value of 22 to 128 letters, digits, "-" or "_" (a UUID v4): keep it secret, like the token. The same key with other details is 409 idempotency_key_reused.',
            schema: { type: 'string', pattern: START_KEY.source },
          },
        ],
        requestBody: jsonBody(ref('NewChat')),
        responses: {
          '201': answer('Chat started', { type: 'object', required: ['id', 'token'], properties: { id: { type: 'string' }, token: { type: 'string' } } }),
          // 409 service_disabled: an admin turned the service off. 503 queue_full: MAX_WAITING_CHATS
          // chats wait for an agent already (Retry-After). Every POST: 413 over 64 kB, 415 not JSON.
          ...errors(400, 404, 409, 413, 415, 429, 503),
        },
      },
    },
    '/chats/{id}': {
      get: onChat({ summary: 'The chat and its state', responses: { '200': answer('The chat', ref('Chat')), ...errors(401, 403, 404) } }),
    },
    '/chats/{id}/messages': {
      get: {
        ...onChat({
          summary: 'Messages and photos, in order',
          responses: {
            '200': answer('Messages', { type: 'object', properties: { messages: { type: 'array', items: ref('Message') } } }),
            ...errors(400, 401, 403, 404, 429),
          },
        }),
        parameters: [idParam, afterParam],
      },
      post: onChat({
        summary: 'Send a message; a repeated client_id returns the first message, never a duplicate',
        body: ref('NewMessage'),
        responses: { '201': answer('Stored', ref('Message')), ...errors(400, 401, 403, 404, 409, 413, 415, 429) },
      }),
    },
    '/chats/{id}/attachments': {
      post: {
        ...onChat({
          summary: `Send a photo (${LIMITS.imageTypes.join(', ')}; at most ${LIMITS.attachmentMaxBytes / 2 ** 20} MB); a repeated client_id returns the first photo, never a duplicate`,
          responses: { '201': answer('Stored', ref('Message')), ...errors(400, 401, 403, 404, 409, 413, 415, 429, 503) },
        }),
        requestBody: {
          required: true,
          content: { 'multipart/form-data': { schema: { allOf: [{ type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } }, ref('NewPhoto')] } } },
        },
      },
    },
    '/chats/{id}/attachments/{attachmentId}': {
      get: {
        ...onChat({
          summary: 'The photo itself, served as the image type its bytes are, with nosniff',
          // 429 / 503: too many photos on their way to this address / in all (UPLOAD_MEMORY_*).
          responses: {
            '200': { description: 'The image', content: { 'image/*': { schema: { type: 'string', format: 'binary' } } } },
            ...errors(401, 403, 404, 429, 503),
          },
        }),
        parameters: [idParam, { name: 'attachmentId', in: 'path', required: true, schema: { type: 'string' } }],
      },
    },
    '/chats/{id}/context': {
      post: onChat({
        summary: 'Merge context (fields by key; location replaces)',
        body: ref('Context'),
        responses: { '200': answer('The chat', ref('Chat')), ...errors(400, 401, 403, 404, 409, 413, 415, 429) },
      }),
    },
    '/chats/{id}/video': {
      post: onChat({
        summary: 'Ask for video (a repeated request while one is open answers 200 with it)',
        responses: {
          '200': answer('Already requested or running', ref('Video')),
          '201': answer('Requested', ref('Video')),
          ...errors(401, 403, 404, 409, 413, 415, 429, 503),
        },
      }),
      delete: onChat({
        summary: 'Close video (only the customer can close it alone)',
        responses: { '200': answer('Closed', ref('Video')), ...errors(401, 403, 404, 409, 429) },
      }),
    },
    '/chats/{id}/video/signal': {
      post: onChat({
        summary: "WebRTC signaling of the customer's browser with the video SFU (mediasoup-client), while the video runs",
        description:
          'One operation per call, chosen by `op`: `capabilities` -> {routerRtpCapabilities, withAudio}; `create_transport` -> ' +
          '{id, iceParameters, iceCandidates, dtlsParameters}; `connect_transport` {transportId, dtlsParameters} -> {connected}; ' +
          '`produce` {transportId, kind, rtpParameters} -> {id}; `close_producer` {producerId} -> {closed}; `consume` ' +
          "{transportId, rtpCapabilities} -> {consumers: [{id, producerId, kind, rtpParameters}], live: [consumer ids still open], withAudio} " +
          "(the agent's tracks not yet consumed on that transport; consumers start paused); `resume` {consumerId} -> {resumed}; " +
          '`close_transport` {transportId} -> {closed}. `withAudio` is false while a phone call carries the voice: then send video only. ' +
          'Closing the events socket closes the transports. `create_transport` is limited per chat per minute (429 with Retry-After).',
        body: ref('VideoSignal'),
        responses: { '200': answer('The answer of that operation', { type: 'object' }), ...errors(400, 401, 403, 404, 409, 413, 415, 429, 503) },
      }),
    },
    '/chats/{id}/end': {
      post: onChat({ summary: 'End the chat', responses: { '200': answer('The ended chat', ref('Chat')), ...errors(401, 403, 404, 409, 413, 415) } }),
    },
    '/chats/{id}/rating': {
      post: onChat({
        summary: "The customer's rating of the chat, once it has ended: a score from 1 to 5 and an optional comment",
        description: 'Accepted once per chat (a second one: 409 already_rated), only after the chat ended (409 chat_not_ended), only with its token.',
        body: ref('NewRating'),
        responses: { '201': answer('Stored', ref('Rating')), ...errors(400, 401, 403, 404, 409, 413, 415) },
      }),
    },
    '/sms/inbound': smsWebhook({
      summary: 'SMS gateway webhook: a text (or one part of a concatenated text) to one of our numbers',
      description:
        "`id` is the gateway's message id, `to` one of our SMS numbers. Opens an SMS chat on the service the number belongs to, " +
        'or joins the open one from that sender. An id received in the last 7 days is a duplicate once its text reached the chat; ' +
        'a 503 (a failure that may pass) asks the gateway to send again, and that retry delivers the text. Parts are shown once all have come, or with a ' +
        'gap marker after SMS_PART_WAIT_S. Answers 503 when SMS_WEBHOOK_SECRET is not set. Replies go to SMS_GATEWAY_URL as ' +
        'POST {id, from, to, text, segments}, signed the same way.',
      body: ref('SmsInbound'),
      taken: answer('Taken', idAndStatus({ type: 'string', enum: ['delivered', 'part_stored', 'duplicate'] })),
    }),
    '/sms/status': smsWebhook({
      summary: 'SMS gateway webhook: delivery status of a reply (its id is the one we sent); statuses only move forward',
      body: ref('SmsStatus'),
      taken: answer('The status now kept', idAndStatus({ type: 'string' })),
    }),
    '/chats/{id}/events': {
      get: {
        summary:
          'WebSocket: {type:"chat"} then {type:"timeline",seq,kind,message?,agent?,at} for each entry after ?after=; ' +
          '{type:"telephony",available,message?} when calling stops or starts being possible (sent on connect while it is not)',
        parameters: [idParam, { name: 'token', in: 'query', required: true, schema: { type: 'string' } }, afterParam],
        // 400: an address no chat can have (malformed, U+0000); 429: the chat has CUSTOMER_SOCKETS_PER_CHAT
        // open; 503: the node has CUSTOMER_SOCKETS_MAX.
        responses: { '101': { description: 'Switching protocols' }, ...errors(400, 401, 403, 404, 429, 503) },
      },
    },
  },
};

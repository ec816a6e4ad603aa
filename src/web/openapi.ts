// OpenAPI 3 description of the public mobile API and of the SMS gateways' webhook, served at
// /api/v1/openapi.json. The integration tests check the server against it, so it stays true.
const error = { $ref: '#/components/responses/Error' };
const bearer = [{ chatToken: [] }];
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const signed = [{ smsSignature: [] }];
const e164 = { type: 'string', pattern: '^\\+[1-9][0-9]{6,14}$', description: 'E.164' };
/** A required JSON request body. */
const jsonBody = (schema: object) => ({ required: true, ...json(schema) });

/**
 * A POST of an SMS gateway's webhook: signed, a JSON body, and `taken` for 200; the other answers are the
 * same for every webhook (malformed, bad signature, unknown number or id, too large, not configured).
 */
function smsWebhook(op: { summary: string; description?: string; body: object; taken: object }) {
  return {
    post: {
      summary: op.summary,
      ...(op.description === undefined ? {} : { description: op.description }),
      security: signed,
      requestBody: jsonBody(op.body),
      responses: { '200': op.taken, '400': error, '401': error, '404': error, '413': error, '503': error },
    },
  };
}

const Context = {
  type: 'object',
  additionalProperties: false,
  properties: {
    fields: { type: 'object', additionalProperties: { type: 'string', maxLength: 1000 }, maxProperties: 50 },
    location: {
      type: 'object',
      required: ['lat', 'lon'],
      additionalProperties: false,
      properties: {
        lat: { type: 'number', minimum: -90, maximum: 90 },
        lon: { type: 'number', minimum: -180, maximum: 180 },
        accuracy_m: { type: 'number', minimum: 0 },
      },
    },
  },
};

const Message = {
  type: 'object',
  required: ['id', 'seq', 'author', 'text', 'client_id', 'attachment', 'created_at'],
  properties: {
    id: { type: 'string' },
    seq: { type: 'integer', description: 'Position in the chat; use it with ?after= to catch up.' },
    author: { type: 'string', enum: ['customer', 'agent'] },
    text: { type: ['string', 'null'] },
    client_id: { type: ['string', 'null'] },
    attachment: {
      oneOf: [
        { type: 'null' },
        {
          type: 'object',
          required: ['id', 'content_type', 'size', 'file_name', 'url'],
          properties: {
            id: { type: 'string' },
            content_type: { type: 'string' },
            size: { type: 'integer' },
            file_name: { type: 'string' },
            url: { type: 'string', description: 'GET with the chat token.' },
          },
        },
      ],
    },
    created_at: { type: 'string', format: 'date-time' },
  },
};

const Chat = {
  type: 'object',
  required: ['id', 'service', 'state', 'customer', 'agent', 'context'],
  properties: {
    id: { type: 'string' },
    service: { type: 'string' },
    state: { type: 'string', enum: ['queued', 'offered', 'active', 'ended'] },
    customer: { type: 'object', properties: { name: { type: 'string' }, phone: { type: 'string' } } },
    agent: { oneOf: [{ type: 'null' }, { type: 'object', properties: { name: { type: 'string' } } }] },
    video: { oneOf: [{ type: 'null' }, { $ref: '#/components/schemas/Video' }] },
    context: { type: 'object' },
  },
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
    schemas: {
      Context,
      Message,
      Chat,
      Video: {
        type: 'object',
        required: ['id', 'state', 'ended_by'],
        properties: {
          id: { type: 'string' },
          state: { type: 'string', enum: ['requested', 'active', 'declined', 'closed'] },
          ended_by: { type: ['string', 'null'] },
        },
      },
    },
    responses: {
      Error: json({
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } },
      }),
    },
  },
  paths: {
    '/chats': {
      post: {
        summary: 'Start a chat',
        requestBody: jsonBody({
          type: 'object',
          required: ['service', 'name', 'phone'],
          additionalProperties: false,
          properties: {
            service: { type: 'string', example: 'roadside' },
            name: { type: 'string', maxLength: 100 },
            phone: { type: 'string', pattern: '^\\+[1-9][0-9]{6,14}$', description: 'E.164' },
            context: { $ref: '#/components/schemas/Context' },
          },
        }),
        responses: {
          '201': { description: 'Chat started', ...json({ type: 'object', required: ['id', 'token'], properties: { id: { type: 'string' }, token: { type: 'string' } } }) },
          '400': error,
          '404': error,
        },
      },
    },
    '/chats/{id}': {
      get: {
        summary: 'The chat and its state',
        security: bearer,
        parameters: [idParam],
        responses: { '200': { description: 'The chat', ...json({ $ref: '#/components/schemas/Chat' }) }, '401': error, '403': error, '404': error },
      },
    },
    '/chats/{id}/messages': {
      get: {
        summary: 'Messages and photos, in order',
        security: bearer,
        parameters: [idParam, { name: 'after', in: 'query', schema: { type: 'integer', minimum: 0 } }],
        responses: {
          '200': { description: 'Messages', ...json({ type: 'object', properties: { messages: { type: 'array', items: { $ref: '#/components/schemas/Message' } } } }) },
          '400': error,
          '401': error,
          '403': error,
          '404': error,
        },
      },
      post: {
        summary: 'Send a message; a repeated client_id returns the first message, never a duplicate',
        security: bearer,
        parameters: [idParam],
        requestBody: jsonBody({
          type: 'object',
          required: ['text'],
          additionalProperties: false,
          properties: { text: { type: 'string', minLength: 1, maxLength: 8000 }, client_id: { type: 'string', maxLength: 100 } },
        }),
        responses: { '201': { description: 'Stored', ...json({ $ref: '#/components/schemas/Message' }) }, '400': error, '401': error, '403': error, '404': error, '409': error },
      },
    },
    '/chats/{id}/attachments': {
      post: {
        summary: 'Send a photo (JPEG, PNG, GIF, WebP, HEIC, AVIF; at most 10 MB)',
        security: bearer,
        parameters: [idParam],
        requestBody: {
          required: true,
          content: { 'multipart/form-data': { schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } } },
        },
        responses: {
          '201': { description: 'Stored', ...json({ $ref: '#/components/schemas/Message' }) },
          '400': error,
          '401': error,
          '403': error,
          '404': error,
          '409': error,
          '413': error,
          '415': error,
        },
      },
    },
    '/chats/{id}/attachments/{attachmentId}': {
      get: {
        summary: 'The photo itself, served as the image type its bytes are, with nosniff',
        security: bearer,
        parameters: [idParam, { name: 'attachmentId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'The image', content: { 'image/*': { schema: { type: 'string', format: 'binary' } } } },
          '401': error,
          '403': error,
          '404': error,
        },
      },
    },
    '/chats/{id}/context': {
      post: {
        summary: 'Merge context (fields by key; location replaces)',
        security: bearer,
        parameters: [idParam],
        requestBody: jsonBody({ $ref: '#/components/schemas/Context' }),
        responses: { '200': { description: 'The chat', ...json({ $ref: '#/components/schemas/Chat' }) }, '400': error, '401': error, '403': error, '404': error, '409': error },
      },
    },
    '/chats/{id}/video': {
      post: {
        summary: 'Ask for video (a repeated request while one is open answers 200 with it)',
        security: bearer,
        parameters: [idParam],
        responses: {
          '200': { description: 'Already requested or running', ...json({ $ref: '#/components/schemas/Video' }) },
          '201': { description: 'Requested', ...json({ $ref: '#/components/schemas/Video' }) },
          '401': error,
          '403': error,
          '404': error,
          '409': error,
          '503': error,
        },
      },
      delete: {
        summary: 'Close video (only the customer can close it alone)',
        security: bearer,
        parameters: [idParam],
        responses: { '200': { description: 'Closed', ...json({ $ref: '#/components/schemas/Video' }) }, '401': error, '403': error, '404': error, '409': error },
      },
    },
    '/chats/{id}/video/signal': {
      post: {
        summary: "WebRTC signaling of the customer's browser with the video SFU (mediasoup-client), while the video runs",
        description:
          'One operation per call, chosen by `op`: `capabilities` -> {routerRtpCapabilities, withAudio}; `create_transport` -> ' +
          '{id, iceParameters, iceCandidates, dtlsParameters}; `connect_transport` {transportId, dtlsParameters} -> {connected}; ' +
          '`produce` {transportId, kind, rtpParameters} -> {id}; `close_producer` {producerId} -> {closed}; `consume` ' +
          "{transportId, rtpCapabilities} -> {consumers: [{id, producerId, kind, rtpParameters}], live: [consumer ids still open], withAudio} " +
          "(the agent's tracks not yet consumed on that transport; consumers start paused); `resume` {consumerId} -> {resumed}; " +
          '`close_transport` {transportId} -> {closed}. `withAudio` is false while a phone call carries the voice: then send video only. ' +
          'Closing the events socket closes the transports.',
        security: bearer,
        parameters: [idParam],
        requestBody: jsonBody({
          type: 'object',
          required: ['op'],
          properties: {
            op: { type: 'string', enum: ['capabilities', 'create_transport', 'connect_transport', 'produce', 'close_producer', 'consume', 'resume', 'close_transport'] },
            transportId: { type: 'string' },
            producerId: { type: 'string' },
            consumerId: { type: 'string' },
            kind: { type: 'string', enum: ['audio', 'video'] },
            dtlsParameters: { type: 'object' },
            rtpParameters: { type: 'object' },
            rtpCapabilities: { type: 'object' },
          },
        }),
        responses: {
          '200': { description: 'The answer of that operation', ...json({ type: 'object' }) },
          '400': error,
          '401': error,
          '403': error,
          '404': error,
          '409': error,
          '503': error,
        },
      },
    },
    '/chats/{id}/end': {
      post: {
        summary: 'End the chat',
        security: bearer,
        parameters: [idParam],
        responses: { '200': { description: 'The ended chat', ...json({ $ref: '#/components/schemas/Chat' }) }, '401': error, '403': error, '404': error, '409': error },
      },
    },
    '/sms/inbound': smsWebhook({
      summary: 'SMS gateway webhook: a text (or one part of a concatenated text) to one of our numbers',
      description:
        'Opens an SMS chat on the service the number belongs to, or joins the open one from that sender. A repeated id is a ' +
        'duplicate; parts are shown once all have come, or with a gap marker after SMS_PART_WAIT_S. Answers 503 when ' +
        'SMS_WEBHOOK_SECRET is not set. Replies go to SMS_GATEWAY_URL as POST {id, from, to, text, segments}, signed the same way.',
      body: {
        type: 'object',
        required: ['id', 'from', 'to', 'text'],
        properties: {
          id: { type: 'string', minLength: 1, maxLength: 96, description: "The gateway's message id" },
          from: e164,
          to: { ...e164, description: 'One of our SMS numbers (E.164)' },
          text: { type: 'string', maxLength: 8000 },
          concat: {
            type: 'object',
            required: ['ref', 'part', 'total'],
            properties: {
              ref: { type: 'integer', minimum: 0, maximum: 65535 },
              part: { type: 'integer', minimum: 1, maximum: 255 },
              total: { type: 'integer', minimum: 1, maximum: 255 },
            },
          },
        },
      },
      taken: {
        description: 'Taken',
        ...json({ type: 'object', required: ['id', 'status'], properties: { id: { type: 'string' }, status: { type: 'string', enum: ['delivered', 'part_stored', 'duplicate'] } } }),
      },
    }),
    '/sms/status': smsWebhook({
      summary: "SMS gateway webhook: delivery status of a reply (its id is the one we sent); statuses only move forward",
      body: {
        type: 'object',
        required: ['id', 'status'],
        properties: {
          id: { type: 'string', minLength: 1, maxLength: 96 },
          status: { type: 'string', enum: ['queued', 'accepted', 'sent', 'delivered', 'failed', 'undelivered', 'rejected', 'expired'] },
          detail: { type: 'string', maxLength: 500 },
        },
      },
      taken: { description: 'The status now kept', ...json({ type: 'object', required: ['id', 'status'], properties: { id: { type: 'string' }, status: { type: 'string' } } }) },
    }),
    '/chats/{id}/events': {
      get: {
        summary: 'WebSocket: {type:"chat"} then {type:"timeline",seq,kind,message?,agent?,at} for each entry after ?after=',
        parameters: [
          idParam,
          { name: 'token', in: 'query', required: true, schema: { type: 'string' } },
          { name: 'after', in: 'query', schema: { type: 'integer', minimum: 0 } },
        ],
        responses: { '101': { description: 'Switching protocols' }, '401': error, '403': error, '404': error },
      },
    },
  },
};

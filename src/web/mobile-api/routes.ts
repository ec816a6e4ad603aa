import { Router, type Request } from 'express';
import { fileTypeFromBuffer } from 'file-type';
import type { Closure } from '../../domain/closure.ts';
import type { ContactCenter } from '../../domain/contact-center.ts';
import { DomainError, invalid, notFound, unsupportedMedia } from '../../domain/errors.ts';
import type { MultimediaDesk } from '../../domain/multimedia.ts';
import type { CustomerAction } from '../../domain/guards.ts';
import type { InteractionRecord } from '../../domain/interaction.ts';
import { isConversation } from '../../domain/timeline.ts';
import { sendAttachment } from '../attachments.ts';
import { clientAddress } from '../client-address.ts';
import type { RateLimits } from '../rate-limits.ts';
import { LIMITS } from '../../domain/limits.ts';
import { receivePhoto } from './photo-upload.ts';
import { contextSchema, newChatSchema, newMessageSchema, newPhotoSchema, parseBody, toDomainContext } from './schemas.ts';
import { chatJson, messageJson, videoJson } from './serialize.ts';

export function bearerToken(req: Request): string | undefined {
  const header = req.get('authorization');
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}

// The public mobile API. Every route but chat creation is opened by that chat's own token.
export interface SimulatedPhones {
  forChat(interactionId: string, number: string, kind: 'browser' | 'sip'): Promise<{ username: string; password: string }>;
}

// `ratings` tells whether an ended chat was rated, so a reloaded page offers Rate only while it is not.
export function mobileApiRouter(
  center: ContactCenter,
  multimedia: MultimediaDesk,
  simulatedPhones: SimulatedPhones | null,
  limits: RateLimits,
  ratings: Pick<Closure, 'ratingOf'>,
): Router {
  const router = Router();
  // The API speaks JSON (and multipart for photos); a form-encoded body is refused, not guessed at.
  router.use((req, _res, next) => {
    if (req.method === 'POST' && req.headers['content-type'] && !req.is('application/json') && !req.is('multipart/form-data')) {
      throw unsupportedMedia('json_required', 'Send JSON with Content-Type: application/json.');
    }
    next();
  });

  // With an action, the guard table is asked too, before a body is read or a limit is spent on it
  // (not for texts: a resend after the end is answered with the message stored before it).
  const authorize = (req: Request, action?: CustomerAction): Promise<InteractionRecord> => center.authorizeCustomer(String(req.params.id), bearerToken(req), action);
  const chatView = async (rec: InteractionRecord, rated?: boolean) => chatJson(rec, rec.agentId ? await center.agentDisplayName(rec.agentId) : null, rated);

  // With an Idempotency-Key, a start sent again (its answer was lost) answers with the same chat and
  // token, and gives its rate-limit point back: it made no chat.
  router.post('/chats', async (req, res) => {
    const body = parseBody(newChatSchema, req.body);
    const address = clientAddress(req);
    await limits.chatStarted(address);
    const startKey = req.get('Idempotency-Key');
    const { interaction, token, replayed } = await center
      .startChat({ serviceId: body.service, channel: 'web', customer: { name: body.name, phone: body.phone }, context: toDomainContext(body.context), startKey })
      .catch(async (err: unknown) => {
        if (err instanceof DomainError) await limits.chatRefused(address);
        throw err;
      });
    if (replayed) await limits.chatRefused(address);
    res.status(201).location(`/api/v1/chats/${interaction.id}`).json({ id: interaction.id, token });
  });

  router.get('/chats/:id', async (req, res) => {
    const rec = await authorize(req);
    const rated = rec.state === 'ended' ? (await ratings.ratingOf(rec.id)) !== undefined : undefined;
    res.json(await chatView(rec, rated));
  });

  router.post('/chats/:id/messages', async (req, res) => {
    // The rules are checked by postCustomerMessage: a resend of a message stored before the chat ended
    // is answered with that message, not 409.
    const rec = await authorize(req);
    const body = parseBody(newMessageSchema, req.body);
    await limits.message(rec.id);
    const entry = await center.postCustomerMessage(rec.id, body.text, body.client_id);
    res.status(201).json(messageJson(entry));
  });

  router.get('/chats/:id/messages', async (req, res) => {
    const rec = await authorize(req);
    const after = req.query.after === undefined ? 0 : Number(req.query.after);
    if (!Number.isInteger(after) || after < 0 || after > LIMITS.seqMax) throw invalid('invalid_after', `after must be an integer from 0 to ${LIMITS.seqMax} (a message seq).`);
    await limits.historyRead(rec.id);
    const entries = await center.timeline(rec.id, after);
    res.json({ messages: entries.filter(isConversation).map(messageJson) });
  });

  router.post('/chats/:id/attachments', async (req, res) => {
    // As for messages, the rules are checked by addAttachment: a photo stored before the chat ended and
    // sent again is answered with that photo (its client id is in the body), not 409.
    const rec = await authorize(req);
    const entry = await receivePhoto(req, res, {
      chatId: rec.id,
      limits,
      store: async (file) => {
        if (!file) throw invalid('missing_file', 'Send the image as multipart/form-data in the field "file".');
        const fields = parseBody(newPhotoSchema, req.body ?? {});
        const sniffed = await fileTypeFromBuffer(file.buffer);
        return center.addAttachment(rec.id, {
          bytes: file.buffer,
          sniffedType: sniffed?.mime,
          declaredType: file.mimetype === 'application/octet-stream' ? undefined : file.mimetype,
          fileName: file.originalname,
          clientId: fields.client_id,
        });
      },
    });
    res.status(201).json(messageJson(entry));
  });

  router.get('/chats/:id/attachments/:attachmentId', async (req, res) => {
    const rec = await authorize(req);
    await sendAttachment(center, rec.id, String(req.params.attachmentId), res, (bytes) => limits.photoSent(clientAddress(req), bytes));
  });

  router.post('/chats/:id/context', async (req, res) => {
    const { id } = await authorize(req, 'update_context');
    const body = parseBody(contextSchema, req.body);
    await limits.contextUpdate(id);
    res.json(await chatView(await center.updateContext(id, toDomainContext(body))));
  });

  router.post('/chats/:id/end', async (req, res) => {
    await authorize(req);
    const rec = await center.endByCustomer(String(req.params.id));
    res.json(await chatView(rec));
  });

  // Development only (simulated PSTN): the chat's own SIP phone, so the agent's calls from this chat
  // can be answered from the customer page (browser) or a test user agent (sip). An ended chat has none.
  router.post('/chats/:id/phone', async (req, res) => {
    if (!simulatedPhones) throw notFound('no_simulated_pstn', 'This server calls customers through a real trunk.');
    const rec = await authorize(req, 'use_phone');
    await limits.phoneRequest(rec.id);
    const kind = (req.body as { kind?: unknown } | undefined)?.kind === 'sip' ? 'sip' : 'browser';
    const creds = await simulatedPhones.forChat(rec.id, rec.customer.phone, kind);
    res.set('Cache-Control', 'no-store').json({ path: '/sip', domain: 'contact-center', displayName: rec.customer.name, iceServers: [], ...creds });
  });

  // Only the customer closes video alone; asking again while a request or session is open is harmless.
  router.post('/chats/:id/video', async (req, res) => {
    const rec = await authorize(req);
    await limits.videoRequest(rec.id);
    const { video, created } = await multimedia.requestVideo(rec.id);
    res.status(created ? 201 : 200).json(videoJson(video));
  });
  // Not limited: a close needs a video asked for (limited above), and the customer's camera must stop
  // when they say so, however often they asked before.
  router.delete('/chats/:id/video', async (req, res) => {
    const rec = await authorize(req);
    res.json(videoJson(await multimedia.customerCloseVideo(rec.id)));
  });

  return router;
}

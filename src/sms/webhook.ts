import express, { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { invalid, invalidField, unauthorized, unavailable } from '../domain/errors.ts';
import { E164, LIMITS } from '../domain/limits.ts';
import { checkNoNulInFields } from '../domain/chat-rules.ts';
import type { SmsDesk } from '../domain/sms-desk.ts';
import { MAX_PARTS } from '../domain/sms-reassembly.ts';
import { GATEWAY_STATUSES } from '../domain/sms-ports.ts';
import { checkSignature, SIGNATURE_HEADER } from './signature.ts';

// The HTTP side of SMS gateways, mounted at /api/v1/sms before any JSON parser: the signature is an
// HMAC of the raw bytes, so the body is read raw here and parsed only once it is verified.
//   POST /inbound  {id, from, to, text, concat?: {ref, part, total}}  -> 200 {id, status}
//   POST /status   {id, status, detail?}                              -> 200 {id, status}
// Both need `X-Signature: sha256=<hex HMAC-SHA256 of the raw body>` with SMS_WEBHOOK_SECRET; without
// the secret configured they answer 503. Errors are DomainErrors, answered by the app's error handler
// as {"error": {"code", "message"}}. Nothing is stored before the signature and the body check out.

const e164 = z.string().regex(E164, 'must be an E.164 number such as +15551234567');
// What a carrier wrote (a text, a delivery report's detail) is kept without U+0000 (PostgreSQL keeps no
// text with it): refused for it, it would be final for the gateway, and lost. Dropped here before the
// check below that refuses it in every other field (an id); the SMS desk drops it too, for the SIP
// trunk's texts. An id with it is refused.
const CARRIER_TEXT = ['text', 'detail'];

export const inboundSchema = z.object({
  id: z.string().min(1).max(96),
  from: e164,
  to: e164,
  text: z.string().max(LIMITS.textMaxChars),
  concat: z
    .object({
      ref: z.number().int().min(0).max(65535),
      part: z.number().int().min(1).max(MAX_PARTS),
      total: z.number().int().min(1).max(MAX_PARTS),
    })
    .refine((c) => c.part <= c.total, { message: 'part must not exceed total', path: ['part'] })
    .optional(),
});

export const statusSchema = z.object({
  id: z.string().min(1).max(96),
  status: z.enum(GATEWAY_STATUSES),
  detail: z.string().max(500).optional(),
});

export interface SmsWebhookOptions {
  desk: SmsDesk;
  // SMS_WEBHOOK_SECRET; undefined: the webhook is not configured and answers 503.
  secret: string | undefined;
  maxBodyBytes?: number;
}

export function smsWebhookRouter(opts: SmsWebhookOptions): Router {
  const { desk, secret } = opts;
  const router = Router();
  const rawBody = express.raw({ type: () => true, limit: opts.maxBodyBytes ?? 64 * 1024 });
  const configured: RequestHandler = (_req, _res, next) => {
    if (!secret) throw unavailable('sms_not_configured', 'The SMS webhook is not configured (SMS_WEBHOOK_SECRET is not set).');
    next();
  };

  const verified = <T>(req: Request, schema: z.ZodType<T>): T => {
    const body: Uint8Array = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = checkSignature(secret!, req.get(SIGNATURE_HEADER), body);
    if (check === 'missing') throw unauthorized('missing_signature', 'Sign the raw body: X-Signature: sha256=<hex HMAC-SHA256>.');
    if (check === 'bad') throw unauthorized('bad_signature', 'X-Signature does not match the body.');
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(body).toString('utf8'));
    } catch {
      throw invalid('malformed_json', 'The body is not valid JSON.');
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw invalid('invalid_body', 'Send a JSON object.');
    const fields = json as Record<string, unknown>;
    for (const name of CARRIER_TEXT) if (typeof fields[name] === 'string') fields[name] = fields[name].replaceAll('\u0000', '');
    const result = schema.safeParse(json);
    if (!result.success) throw invalidField(result.error.issues);
    checkNoNulInFields(result.data); // an id PostgreSQL cannot keep is refused on every store alike
    return result.data;
  };

  router.post('/inbound', configured, rawBody, async (req, res) => {
    const sms = verified(req, inboundSchema);
    const result = await desk.receive({ id: sms.id, from: sms.from, to: sms.to, text: sms.text, concat: sms.concat, gateway: 'webhook' });
    res.status(200).json({ id: sms.id, status: result.status });
  });

  router.post('/status', configured, rawBody, async (req, res) => {
    const report = verified(req, statusSchema);
    const delivery = await desk.onDeliveryStatus(report.id, report.status, report.detail ?? null);
    res.status(200).json({ id: delivery.id, status: delivery.status });
  });

  return router;
}

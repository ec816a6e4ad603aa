import { z } from 'zod';
import { invalid, invalidField } from '../../domain/errors.ts';
import { E164, LIMITS } from '../../domain/limits.ts';
import { COMMENT_MAX, SCORE_MAX, SCORE_MIN } from '../../domain/rating.ts';

// The request bodies of the mobile API. They are also the schemas of the OpenAPI document (openapi.ts),
// so a bound the domain enforces itself, with its own error code, is stated here with `.meta()`: the
// document shows it and the check stays the domain's.

export const locationSchema = z.object({
  lat: z.number().gte(-90).lte(90),
  lon: z.number().gte(-180).lte(180),
  accuracy_m: z.number().nonnegative().optional(),
});

export const contextSchema = z
  .object({
    fields: z
      .record(z.string().min(1).max(LIMITS.contextKeyMaxChars), z.string().max(LIMITS.contextValueMaxChars))
      .refine((f) => Object.keys(f).length <= LIMITS.contextMaxFields, `at most ${LIMITS.contextMaxFields} fields`)
      // A refinement has no JSON Schema form, so the document is given the same bound.
      .meta({ maxProperties: LIMITS.contextMaxFields })
      .optional(),
    location: locationSchema.optional(),
  })
  .strict();

export const newChatSchema = z
  .object({
    service: z.string().min(1).max(64).meta({ example: 'roadside' }),
    name: z.string().trim().min(1).max(LIMITS.nameMaxChars),
    // The domain answers a malformed number with invalid_phone.
    phone: z.string().min(1).max(20).meta({ pattern: E164.source, description: 'E.164' }),
    context: contextSchema.optional(),
  })
  .strict();

// The app's own id for what it sends: sent again with it, what was stored the first time is the answer.
const clientIdSchema = z.string().min(1).max(LIMITS.clientIdMaxChars).optional();

export const newMessageSchema = z
  .object({
    // The domain answers empty_text and text_too_long.
    text: z.string().meta({ minLength: 1, maxLength: LIMITS.textMaxChars }),
    client_id: clientIdSchema,
  })
  .strict();

// The fields of a photo's form beside the image itself (field `file`).
export const newPhotoSchema = z.object({ client_id: clientIdSchema });

// The customer's rating of an ended chat (domain/rating.ts answers bad values with its own codes too).
export const newRatingSchema = z
  .object({
    score: z.number().int().gte(SCORE_MIN).lte(SCORE_MAX).meta({ description: 'From 1 (poor) to 5 (excellent)' }),
    comment: z.string().max(COMMENT_MAX).optional(),
  })
  .strict();

export const ratingJsonSchema = z.object({
  score: z.number().int(),
  comment: z.string().nullable(),
  rated_at: z.string().meta({ format: 'date-time' }),
});

// The same message sent over the chat's events socket, where frames carry their type.
export const socketMessageSchema = newMessageSchema.extend({ type: z.literal('message') });

export type ContextBody = z.infer<typeof contextSchema>;

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (body === undefined || body === null || typeof body !== 'object') {
    throw invalid('invalid_body', 'Send a JSON object body with Content-Type: application/json.');
  }
  const result = schema.safeParse(body);
  if (!result.success) throw invalidField(result.error.issues);
  return result.data;
}

export function toDomainContext(body: ContextBody | undefined) {
  if (!body) return {};
  const { location: loc, fields } = body;
  return {
    fields,
    location: loc ? { lat: loc.lat, lon: loc.lon, ...(loc.accuracy_m !== undefined ? { accuracyM: loc.accuracy_m } : {}) } : undefined,
  };
}

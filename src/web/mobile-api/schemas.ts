import { z } from 'zod';
import { invalid } from '../../domain/errors.ts';
import { LIMITS } from '../../domain/limits.ts';

const location = z.object({
  lat: z.number().gte(-90).lte(90),
  lon: z.number().gte(-180).lte(180),
  accuracy_m: z.number().nonnegative().optional(),
});

export const contextSchema = z
  .object({
    fields: z
      .record(z.string().min(1).max(LIMITS.contextKeyMaxChars), z.string().max(LIMITS.contextValueMaxChars))
      .refine((f) => Object.keys(f).length <= LIMITS.contextMaxFields, `at most ${LIMITS.contextMaxFields} fields`)
      .optional(),
    location: location.optional(),
  })
  .strict();

export const newChatSchema = z
  .object({
    service: z.string().min(1).max(64),
    name: z.string().trim().min(1).max(LIMITS.nameMaxChars),
    phone: z.string().min(1).max(20),
    context: contextSchema.optional(),
  })
  .strict();

// Text length is a domain rule (it answers text_too_long); here only the shape is checked.
export const newMessageSchema = z
  .object({
    text: z.string(),
    client_id: z.string().min(1).max(LIMITS.clientIdMaxChars).optional(),
  })
  .strict();

// The same message sent over the chat's events socket, where frames carry their type.
export const socketMessageSchema = newMessageSchema.extend({ type: z.literal('message') });

export type ContextBody = z.infer<typeof contextSchema>;

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (body === undefined || body === null || typeof body !== 'object') {
    throw invalid('invalid_body', 'Send a JSON object body with Content-Type: application/json.');
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
    throw invalid('invalid_field', `${where}: ${issue?.message ?? 'invalid'}`);
  }
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

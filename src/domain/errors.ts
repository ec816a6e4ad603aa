// Typed errors of the rules. The web layer maps each kind to an HTTP status; nothing here knows HTTP.
export type ErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'unsupported_media'
  | 'rate_limited'
  | 'unavailable';

export class DomainError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  // When the same request may succeed later: after this many seconds (Retry-After).
  readonly retryAfterS: number | undefined;
  constructor(kind: ErrorKind, code: string, message: string, retryAfterS?: number) {
    super(message);
    this.name = 'DomainError';
    this.kind = kind;
    this.code = code;
    this.retryAfterS = retryAfterS;
  }
}

export const invalid = (code: string, message: string) => new DomainError('invalid', code, message);
export const notFound = (code: string, message: string) => new DomainError('not_found', code, message);
export const forbidden = (code: string, message: string) => new DomainError('forbidden', code, message);
export const unauthorized = (code: string, message: string) => new DomainError('unauthorized', code, message);
export const conflict = (code: string, message: string) => new DomainError('conflict', code, message);
export const tooLarge = (code: string, message: string) => new DomainError('too_large', code, message);
export const unsupportedMedia = (code: string, message: string) =>
  new DomainError('unsupported_media', code, message);
export const unavailable = (code: string, message: string, retryAfterS?: number) => new DomainError('unavailable', code, message, retryAfterS);
export const rateLimited = (message: string, retryAfterS: number) => new DomainError('rate_limited', 'rate_limited', message, retryAfterS);

// The first problem a schema found in a request, named by where it is ("body" for the whole of it).
export function invalidField(issues: readonly { path: readonly PropertyKey[]; message: string }[]): DomainError {
  const issue = issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
  return invalid('invalid_field', `${where}: ${issue?.message ?? 'invalid'}`);
}

// A form's refusal: one message per field, shown next to it (the page keeps what was typed). `kind`
// is 'invalid' for bad values and 'conflict' for values another record already holds.
export class FormError extends DomainError {
  readonly fields: Readonly<Record<string, string>>;
  constructor(fields: Record<string, string>, kind: 'invalid' | 'conflict' = 'invalid') {
    super(kind, kind === 'conflict' ? 'already_taken' : 'invalid_form', Object.values(fields).join(' '));
    this.name = 'FormError';
    this.fields = fields;
  }
}

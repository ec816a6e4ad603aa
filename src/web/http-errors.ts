import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { DomainError, type ErrorKind } from '../domain/errors.ts';

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media: 415,
  rate_limited: 429,
  unavailable: 503,
};

export const MALFORMED_URL = 'The address has malformed percent-encoding (a % not followed by two hex digits).';

export function statusOf(err: DomainError): number {
  return STATUS[err.kind];
}

export function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

// Maps typed errors to `{"error":{"code","message"}}` (with Retry-After when trying later may work);
// body-parser's own errors (bad JSON, too large) become 400/413, a URL that does not decode 400;
// anything unexpected is logged and answered 500 without internals.
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof DomainError) {
      if (err.retryAfterS !== undefined) res.set('Retry-After', String(err.retryAfterS));
      return sendError(res, statusOf(err), err.code, err.message);
    }
    if (err instanceof URIError) return sendError(res, 400, 'malformed_url', MALFORMED_URL);
    const e = err as { type?: string; status?: number; code?: string; message?: string };
    if (e.type === 'entity.parse.failed') return sendError(res, 400, 'malformed_json', 'The body is not valid JSON.');
    if (e.type === 'entity.too.large') return sendError(res, 413, 'body_too_large', 'The body is too large.');
    if (e.code === 'LIMIT_FILE_SIZE') return sendError(res, 413, 'file_too_large', e.message ?? 'File too large.');
    if (typeof e.code === 'string' && e.code.startsWith('LIMIT_')) return sendError(res, 400, 'bad_upload', e.message ?? 'Bad upload.');
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      return sendError(res, e.status, 'bad_request', e.message ?? 'Bad request.');
    }
    logger.error({ err, path: req.path }, 'unhandled error');
    return sendError(res, 500, 'internal', 'Something went wrong on our side.');
  };
}

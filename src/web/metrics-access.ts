import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { isLoopbackClient } from './client-address.ts';
import { sendError } from './http-errors.ts';

// Who may read /metrics (it tells load, agents' presence and traffic): with METRICS_TOKEN, a request
// bearing it; without, only a request made on this machine: the same rule as the demo password's
// (isLoopbackClient: a request any proxy says it forwarded counts as remote).
export function metricsAccess(token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : Buffer.from(token);
  return (req, res, next) => {
    if (expected) {
      const given = Buffer.from(/^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '');
      if (given.length === expected.length && timingSafeEqual(given, expected)) return next();
      res.set('WWW-Authenticate', 'Bearer realm="metrics"');
      return sendError(res, 401, 'metrics_token_required', 'Send the metrics token as "Authorization: Bearer <METRICS_TOKEN>".');
    }
    if (isLoopbackClient(req)) return next();
    sendError(res, 403, 'metrics_local_only', 'Metrics answer only on this machine; set METRICS_TOKEN to scrape them from elsewhere.');
  };
}


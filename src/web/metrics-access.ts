import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { sendError } from './http-errors.ts';

// Who may read /metrics (it tells load, agents' presence and traffic): with METRICS_TOKEN, a request
// bearing it; without, only a request made on this machine. req.ip follows TRUST_PROXY, so a request
// relayed by a trusted proxy counts from its client's address; a request that says it was forwarded
// counts as remote even when the proxy is not trusted (a proxy on loopback is not this machine's user).
export function metricsAccess(token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : Buffer.from(token);
  return (req, res, next) => {
    if (expected) {
      const given = Buffer.from(/^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '');
      if (given.length === expected.length && timingSafeEqual(given, expected)) return next();
      res.set('WWW-Authenticate', 'Bearer realm="metrics"');
      return sendError(res, 401, 'metrics_token_required', 'Send the metrics token as "Authorization: Bearer <METRICS_TOKEN>".');
    }
    if (fromThisMachine(req)) return next();
    sendError(res, 403, 'metrics_local_only', 'Metrics answer only on this machine; set METRICS_TOKEN to scrape them from elsewhere.');
  };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

function fromThisMachine(req: Request): boolean {
  if (req.get('x-forwarded-for') !== undefined || req.get('forwarded') !== undefined) return false;
  return LOOPBACK.test(req.ip ?? '');
}

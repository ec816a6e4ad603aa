import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parse as parseCookies } from 'cookie';
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { ContactCenter } from '../domain/contact-center.ts';
import { forbidden } from '../domain/errors.ts';
import { verifyPassword } from './passwords.ts';
import type { AgentSession, SessionRegistry } from './sessions.ts';
import type { Views } from './views.ts';

declare module 'express-serve-static-core' {
  interface Request {
    agentSession?: AgentSession;
  }
}

const SESSION_COOKIE = 'sid';
const LOGIN_CSRF_COOKIE = 'csrf';

export function sessionOf(sessions: SessionRegistry, req: IncomingMessage): AgentSession | undefined {
  const cookies = parseCookies(req.headers.cookie ?? '');
  return sessions.get(cookies[SESSION_COOKIE]);
}

function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// Pages redirect to the login form; htmx and other requests get 401 (htmx then follows HX-Redirect).
export function requireAgent(sessions: SessionRegistry): RequestHandler {
  return (req, res, next) => {
    const session = sessionOf(sessions, req);
    if (session) {
      req.agentSession = session;
      return next();
    }
    if (req.get('HX-Request')) return void res.status(401).set('HX-Redirect', '/login').end();
    if (req.method === 'GET') return res.redirect(303, '/login');
    return void res.status(401).json({ error: { code: 'not_logged_in', message: 'Log in first.' } });
  };
}

// Every state-changing desktop request carries the session's token (htmx sends it as a header, plain
// forms as a field); SameSite cookies are the second line, not the only one.
export function requireCsrf(req: Request, _res: Response, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  const given = req.get('X-CSRF-Token') ?? (req.body as Record<string, string> | undefined)?._csrf;
  if (!sameToken(given, req.agentSession?.csrfToken)) throw forbidden('bad_csrf_token', 'The form is stale; reload the page.');
  next();
}

export function authRouter(opts: { center: ContactCenter; sessions: SessionRegistry; views: Views; secureCookies: (req: Request) => boolean }): Router {
  const { center, sessions, views } = opts;
  const router = Router();
  const cookieOpts = (req: Request) => ({ httpOnly: true, sameSite: 'lax' as const, secure: opts.secureCookies(req), path: '/' });

  const showLogin = (req: Request, res: Response, status: number, error?: string) => {
    const csrf = randomBytes(24).toString('base64url');
    res.cookie(LOGIN_CSRF_COOKIE, csrf, { ...cookieOpts(req), sameSite: 'strict' });
    res.status(status).type('html').send(views.render('login', { csrf, error, username: (req.body as { username?: string } | undefined)?.username ?? '' }));
  };

  router.get('/login', (req, res) => showLogin(req, res, 200));

  router.post('/login', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, string | undefined>;
    const cookies = parseCookies(req.headers.cookie ?? '');
    if (!sameToken(body._csrf, cookies[LOGIN_CSRF_COOKIE])) return showLogin(req, res, 403, 'The form expired. Please try again.');
    const agent = body.username ? await center.findAgent(body.username) : undefined;
    const ok = agent !== undefined && (await verifyPassword(body.password ?? '', agent.passwordHash));
    if (!agent || !ok) return showLogin(req, res, 401, 'Wrong username or password.');
    const session = sessions.create(agent.id);
    res.clearCookie(LOGIN_CSRF_COOKIE, { path: '/' });
    res.cookie(SESSION_COOKIE, session.id, cookieOpts(req));
    res.redirect(303, '/desktop');
  });

  router.post('/logout', requireAgent(sessions), requireCsrf, (req, res) => {
    const session = req.agentSession;
    if (session) {
      center.setPresence(session.agentId, 'make_not_ready');
      sessions.destroy(session.id);
    }
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.redirect(303, '/login');
  });

  return router;
}

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parse as parseCookies } from 'cookie';
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { ContactCenter } from '../domain/contact-center.ts';
import { forbidden } from '../domain/errors.ts';
import { text } from './admin/admin-kit.ts';
import { isLoopbackClient, clientAddress } from './client-address.ts';
import { verifyAgentPassword, WELL_KNOWN_PASSWORD } from './passwords.ts';
import { KNOWN_DEVICE_S, waitInWords, type LoginThrottle } from './rate-limits.ts';
import type { AgentSession, SessionRegistry } from './sessions.ts';
import type { Views } from './views.ts';

declare module 'express-serve-static-core' {
  interface Request {
    agentSession?: AgentSession;
  }
}

const SESSION_COOKIE = 'sid';
const LOGIN_CSRF_COOKIE = 'csrf';
// A browser an agent logged in from (random, per browser): see LoginThrottle.waitS.
const DEVICE_COOKIE = 'device';
const WELL_KNOWN_FROM_AFAR =
  'The demo password "demo" works only in a browser on the server itself. To log in from another machine, set DEMO_AGENT_PASSWORD to a password of your own before the first start (with a new DATA_DIR).';

export function sessionOf(sessions: SessionRegistry, req: IncomingMessage): Promise<AgentSession | undefined> {
  const cookies = parseCookies(req.headers.cookie ?? '');
  return sessions.find(cookies[SESSION_COOKIE]);
}

// Anything but two equal non-empty strings is no match (a JSON body may send a number, an object).
function sameToken(a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || !a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// Pages, and a browser's plain form posts (an admin form left open past its session), go to the login
// form; htmx and other requests get 401 (htmx then follows HX-Redirect).
export function requireAgent(sessions: SessionRegistry): RequestHandler {
  return async (req, res, next) => {
    const session = await sessionOf(sessions, req);
    if (session) {
      req.agentSession = session;
      return next();
    }
    if (req.get('HX-Request')) return void res.status(401).set('HX-Redirect', '/login').end();
    if (req.method === 'GET' || req.accepts(['json', 'html']) === 'html') return res.redirect(303, '/login');
    return void res.status(401).json({ error: { code: 'not_logged_in', message: 'Log in first.' } });
  };
}

// Every state-changing desktop request carries the session's token (htmx sends it as a header, plain
// forms as a field); SameSite cookies are the second line, not the only one.
export function requireCsrf(req: Request, _res: Response, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  const given = req.get('X-CSRF-Token') ?? (req.body as Record<string, unknown> | undefined)?._csrf;
  if (!sameToken(given, req.agentSession?.csrfToken)) throw forbidden('bad_csrf_token', 'The form is stale; reload the page.');
  next();
}

const cookieOpts = (req: Request) => ({ httpOnly: true, sameSite: 'lax' as const, secure: req.secure, path: '/' });

// The browser's session from now on (a login, or a password change that renews it).
export function setSessionCookie(req: Request, res: Response, sessionId: string): void {
  res.cookie(SESSION_COOKIE, sessionId, cookieOpts(req));
}

export function authRouter(opts: { center: ContactCenter; sessions: SessionRegistry; views: Views; throttle: LoginThrottle; logger: Logger }): Router {
  const { center, sessions, views, throttle, logger } = opts;
  const router = Router();

  const showLogin = (req: Request, res: Response, status: number, error?: string) => {
    const csrf = randomBytes(24).toString('base64url');
    res.cookie(LOGIN_CSRF_COOKIE, csrf, { ...cookieOpts(req), sameSite: 'strict' });
    res.status(status).type('html').send(views.render('login', { csrf, error, username: text(req, 'username') }));
  };

  router.get('/login', (req, res) => showLogin(req, res, 200));

  router.post('/login', async (req, res) => {
    const cookies = parseCookies(req.headers.cookie ?? '');
    if (!sameToken((req.body as Record<string, unknown> | undefined)?._csrf, cookies[LOGIN_CSRF_COOKIE])) return showLogin(req, res, 403, 'The form expired. Please try again.');
    // Text or nothing: a field sent twice (an array) or as JSON of another kind is no username or password.
    const username = text(req, 'username');
    const password = text(req, 'password');
    const address = clientAddress(req);
    const tooMany = (waitS: number, before = '') => {
      res.set('Retry-After', String(waitS));
      showLogin(req, res, 429, `${before}Too many attempts. Try again in ${waitInWords(waitS)}.`);
    };
    const device = cookies[DEVICE_COOKIE];
    const waitS = await throttle.waitS(address, username, device);
    if (waitS > 0) return tooMany(waitS);
    // The same answer whether or not it is this agent's password: it tells nobody anything new.
    if (password === WELL_KNOWN_PASSWORD && !isLoopbackClient(req)) return showLogin(req, res, 403, WELL_KNOWN_FROM_AFAR);
    const attempt = await throttle.attempt(address, username, device);
    // Refused unchecked: one of many attempts sent at once, past what the throttle lets through.
    if (!attempt.mayCheck) return tooMany(attempt.waitS);
    const agent = username ? await center.findAgent(username) : undefined;
    const ok = await verifyAgentPassword(password, agent?.passwordHash);
    if (!agent || !ok) return attempt.waitS > 0 ? tooMany(attempt.waitS, 'Wrong username or password. ') : showLogin(req, res, 401, 'Wrong username or password.');
    // Read again: an admin may have disabled or changed the agent while the password was checked.
    const current = await center.findAgent(agent.id);
    // Said only to whoever knows the password: it tells a stranger nothing.
    if (!current || current.disabled) return showLogin(req, res, 403, 'This account is disabled. Ask an admin to enable it.');
    // This browser is now known as the agent's: others failing on the username do not lock it out.
    const knownDevice = device || randomBytes(24).toString('base64url');
    await throttle.succeeded(address, username, knownDevice);
    res.cookie(DEVICE_COOKIE, knownDevice, { ...cookieOpts(req), sameSite: 'strict', path: '/login', maxAge: KNOWN_DEVICE_S * 1000 });
    // The agent may have been added by another process (npm run admin): routing learns of it now.
    await center.agentChanged(current);
    const session = await sessions.create(current.id);
    // Disabled while the session was made: the disabling ended the sessions it found, not this one.
    const still = await center.findAgent(current.id);
    if (!still || still.disabled) {
      await sessions.destroy(session.id);
      return showLogin(req, res, 403, 'This account is disabled. Ask an admin to enable it.');
    }
    // A session this browser held (another agent at a shared PC) ends: its pages could only be refused
    // now that the browser sends the new cookie, while it went on being offered chats.
    if (cookies[SESSION_COOKIE]) await sessions.destroy(cookies[SESSION_COOKIE]);
    res.clearCookie(LOGIN_CSRF_COOKIE, { path: '/' });
    setSessionCookie(req, res, session.id);
    res.redirect(303, '/desktop');
  });

  router.post('/logout', requireAgent(sessions), requireCsrf, async (req, res) => {
    const session = req.agentSession;
    if (session) {
      // Awaited: a cluster's follower forwards it to the leader. Logged out whatever the store says: a
      // restart or a new leader that reads the agent Ready logs out agents without a session before any
      // offer (ContactCenter.recover, main.ts).
      await center.setPresence(session.agentId, 'log_out').catch((err: unknown) => logger.warn({ err, agentId: session.agentId }, 'a log-out was not stored'));
      await sessions.destroy(session.id);
    }
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.redirect(303, '/login');
  });

  return router;
}

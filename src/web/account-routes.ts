import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Administration } from '../domain/administration.ts';
import { refusalOf, text, type Refusal } from './admin/admin-kit.ts';
import type { TelephonyAdmin } from './admin/telephony-routes.ts';
import { requireAgent, requireCsrf, setSessionCookie } from './auth.ts';
import { clientAddress } from './client-address.ts';
import { waitInWords, type LoginThrottle } from './rate-limits.ts';
import type { SessionRegistry } from './sessions.ts';
import type { Views } from './views.ts';

type DeskPhone = Pick<TelephonyAdmin, 'hasDeskPassword' | 'newDeskPassword'>;

// /account: every agent changes its own password. Its other sessions end (another browser, a
// forgotten tab); the browser that asked stays logged in, under a new session id: whoever had copied
// the old one (the reason to change a password, often) is out too.
// Wrong current passwords count like failed logins of that username (the same backoff): a session
// left open is no way to guess the password.
// With telephony, every agent (any role) also makes its own desk phone's password here, shown once.
export function accountRouter(opts: {
  admin: Administration;
  sessions: SessionRegistry;
  views: Views;
  throttle: LoginThrottle;
  telephony: DeskPhone | null;
  // Whether the agent has a call up in one of their chats.
  onCall: (agentId: string) => boolean;
  logger: Logger;
}): Router {
  const { admin, sessions, views, throttle, telephony, onCall, logger } = opts;
  const router = Router();
  router.use('/account', requireAgent(sessions), requireCsrf);

  const page = async (req: Request, res: Response, extra: { notice?: string; refusal?: Refusal; deskPassword?: { endpoint: string; password: string } } = {}) => {
    const agent = await admin.agent(req.agentSession!.agentId);
    const desk = telephony && { endpoint: `${agent.id}-desk`, passwordSet: extra.deskPassword !== undefined || (await telephony.hasDeskPassword(agent.id)), newPassword: extra.deskPassword };
    res.status(extra.refusal?.status ?? 200).type('html').send(
      views.render('account', { title: 'Account', csrf: req.agentSession!.csrfToken, agent, isAdmin: agent.role === 'admin', notice: extra.notice, errors: extra.refusal?.fields ?? {}, alert: extra.refusal?.alert, desk }),
    );
  };

  router.get('/account', (req, res) => page(req, res));
  router.post('/account/password', async (req, res) => {
    const session = req.agentSession!;
    const address = clientAddress(req);
    const tooMany = (waitS: number) => {
      res.set('Retry-After', String(waitS));
      return page(req, res, { refusal: { status: 429, fields: {}, alert: `Too many attempts. Try again in ${waitInWords(waitS)}.` } });
    };
    // The change reloads the agent's desktop tabs (their session ends), which would drop a call on the
    // browser softphone: asked for once the call is over, before any password is looked at.
    if (onCall(session.agentId)) {
      return page(req, res, { refusal: { status: 409, fields: {}, alert: 'Change your password once your call has ended: it reloads your desktop, which would drop the call.' } });
    }
    // Guesses of the current password are counted per session, not per username: failed logins by
    // someone else do not lock the agent out of this page, nor does a change here clear their count.
    const guesses = `account:${createHash('sha256').update(session.id).digest('hex').slice(0, 32)}`;
    const waitS = await throttle.waitS(address, guesses);
    if (waitS > 0) return tooMany(waitS);
    // Counted before the current password is checked, as a login is: attempts sent all at once too.
    const attempt = await throttle.attempt(address, guesses);
    if (!attempt.mayCheck) return tooMany(attempt.waitS);
    try {
      await admin.changeOwnPassword(session.agentId, text(req, 'currentPassword'), text(req, 'newPassword'));
    } catch (err) {
      const refusal = refusalOf(err);
      // Any other refusal comes after the current password was found right: the count is taken back.
      if (!refusal.fields.currentPassword) await throttle.succeeded(address, guesses);
      return page(req, res, { refusal });
    }
    await throttle.succeeded(address, guesses);
    const renewed = await sessions.create(session.agentId);
    setSessionCookie(req, res, renewed.id);
    req.agentSession = renewed;
    // The old id ends with the others once this answer, with the new cookie, has gone out (or the
    // client went away first: 'close' comes either way): this browser's other tabs, told their
    // session ended, then reload under the new one.
    res.once('close', () => {
      sessions.endAgent(session.agentId, renewed.id).catch((err: unknown) => logger.error({ err, agentId: session.agentId }, "ending an agent's other sessions failed"));
    });
    await page(req, res, { notice: "Password changed. Your other sessions end now (this browser's other tabs reload)." });
  });
  // A new password for the agent's own desk phone: the old one stops working, its phone is dropped.
  router.post('/account/desk-password', async (req, res) => {
    const unavailable = (alert: string) => page(req, res, { refusal: { status: 503, fields: {}, alert } });
    if (!telephony) return unavailable('Calling is not configured on this server.');
    let deskPassword: { endpoint: string; password: string };
    try {
      deskPassword = await telephony.newDeskPassword(req.agentSession!.agentId);
    } catch (err) {
      return unavailable(`No new desk phone password: Asterisk is not reachable (${(err as Error).message}).`);
    }
    await page(req, res, { deskPassword });
  });
  return router;
}

import { Router, type Request, type Response } from 'express';
import type { ContactCenter } from '../../domain/contact-center.ts';
import { requireAgent, requireCsrf } from '../auth.ts';
import type { SessionRegistry } from '../sessions.ts';
import type { Views } from '../views.ts';

// What the admin page reads and does, given by main.ts (the web layer knows no Asterisk).
export interface TelephonyAdmin {
  status(): Promise<{
    endpoints: Array<{ agentId: string; endpoint: string; kind: string; state: string; channels: number }>;
    channels: Array<{ id: string; name: string; state: string; caller: string; createdAt: string | null; interactionId: string | null; role: string | null }>;
  }>;
  // False until the agent's first desk phone password is made here: none is made at start.
  hasDeskPassword(agentId: string): Promise<boolean>;
  newDeskPassword(agentId: string): Promise<{ endpoint: string; password: string }>;
}

type TelephonyStatus = Awaited<ReturnType<TelephonyAdmin['status']>>;

// /admin/telephony, read from ARI: registration states of agent endpoints and the live channels. An
// admin sees every agent's endpoints and every channel; an agent sees their own endpoints and the
// channels of their own interactions (no other customer's number). Anyone renews only their own desk
// phone's password, shown once.
export function adminTelephonyRouter(opts: { center: ContactCenter; sessions: SessionRegistry; views: Views; telephony: TelephonyAdmin | null }): Router {
  const router = Router();
  router.use('/admin', requireAgent(opts.sessions), requireCsrf);

  const visibleTo = async (agentId: string, status: TelephonyStatus): Promise<{ admin: boolean; status: TelephonyStatus }> => {
    if ((await opts.center.findAgent(agentId))?.role === 'admin') return { admin: true, status };
    const mine = new Set(opts.center.openInteractionsOf(agentId).map((rec) => rec.id));
    return {
      admin: false,
      status: {
        endpoints: status.endpoints.filter((e) => e.agentId === agentId),
        channels: status.channels.filter((c) => c.interactionId !== null && mine.has(c.interactionId)),
      },
    };
  };

  const page = async (req: Request, res: Response, extra: { newPassword?: { endpoint: string; password: string }; error?: string } = {}) => {
    const agentId = req.agentSession!.agentId;
    const deskPasswordSet = extra.newPassword !== undefined || ((await opts.telephony?.hasDeskPassword(agentId)) ?? false);
    const base = { csrf: req.agentSession!.csrfToken, agentId, configured: opts.telephony !== null, deskPasswordSet, ...extra };
    res.set('Cache-Control', 'no-store');
    if (!opts.telephony) return void res.type('html').send(opts.views.render('admin/telephony', { ...base, status: null }));
    try {
      const { admin, status } = await visibleTo(agentId, await opts.telephony.status());
      res.type('html').send(opts.views.render('admin/telephony', { ...base, admin, status }));
    } catch (err) {
      res.status(503).type('html').send(opts.views.render('admin/telephony', { ...base, status: null, error: extra.error ?? `Asterisk is not reachable: ${(err as Error).message}` }));
    }
  };

  router.get('/admin/telephony', (req, res) => page(req, res));

  router.post('/admin/telephony/desk-password', async (req, res) => {
    if (!opts.telephony) return page(req, res.status(503));
    let newPassword: { endpoint: string; password: string };
    try {
      newPassword = await opts.telephony.newDeskPassword(req.agentSession!.agentId);
    } catch (err) {
      return page(req, res.status(503), { error: `No new password: Asterisk is not reachable (${(err as Error).message}).` });
    }
    await page(req, res, { newPassword });
  });

  return router;
}

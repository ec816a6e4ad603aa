import { Router } from 'express';
import type { Views } from '../views.ts';

// What the admin page reads, and what /account does for each agent's desk phone, given by main.ts
// (the web layer knows no Asterisk).
export interface TelephonyAdmin {
  status(): Promise<{
    endpoints: Array<{ agentId: string; endpoint: string; kind: string; state: string; channels: number }>;
    channels: Array<{ id: string; name: string; state: string; caller: string; createdAt: string | null; interactionId: string | null; role: string | null }>;
  }>;
  // False until the agent's first desk phone password is made on /account: none is made at start.
  hasDeskPassword(agentId: string): Promise<boolean>;
  newDeskPassword(agentId: string): Promise<{ endpoint: string; password: string }>;
}

// /admin/telephony (admins only, gated with the other admin pages in index.ts), read from ARI: the
// registration states of every agent's endpoints and every live channel.
export function adminTelephonyRouter(views: Views, telephony: TelephonyAdmin | null): Router {
  const router = Router();
  router.get('/admin/telephony', async (req, res) => {
    const base = { csrf: req.agentSession!.csrfToken, configured: telephony !== null };
    if (!telephony) return void res.type('html').send(views.render('admin/telephony', { ...base, status: null }));
    try {
      res.type('html').send(views.render('admin/telephony', { ...base, status: await telephony.status() }));
    } catch (err) {
      res.status(503).type('html').send(views.render('admin/telephony', { ...base, status: null, error: `Asterisk is not reachable: ${(err as Error).message}` }));
    }
  });
  return router;
}

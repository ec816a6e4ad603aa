import { Router } from 'express';
import type { Administration } from '../../domain/administration.ts';
import type { Closure } from '../../domain/closure.ts';
import { invalid } from '../../domain/errors.ts';
import { requireAgent, requireCsrf } from '../auth.ts';
import type { SessionRegistry } from '../sessions.ts';
import type { Views } from '../views.ts';
import { adminsOnly } from './admin-kit.ts';
import { agentsRouter } from './agents-routes.ts';
import { interactionsRouter } from './interactions-routes.ts';
import { servicesRouter } from './services-routes.ts';
import { adminTelephonyRouter, type TelephonyAdmin } from './telephony-routes.ts';

// The administration pages: logged in, CSRF on every POST, and admins only (403 to agents and
// supervisors on every page and action, /admin/telephony included). Each agent's desk phone password
// is made on /account.
export function administrationRouter(opts: { admin: Administration; closure: Closure; sessions: SessionRegistry; views: Views; telephony: TelephonyAdmin | null }): Router {
  const { admin, views } = opts;
  const router = Router();
  const gate = [requireAgent(opts.sessions), requireCsrf, adminsOnly(admin, views)];
  for (const path of ['/admin/services', '/admin/agents', '/admin/audit', '/admin/telephony', '/admin/interactions', '/admin/interactions.csv']) router.use(path, ...gate);
  router.use(servicesRouter(admin, views));
  router.use(agentsRouter(admin, views));
  router.use(adminTelephonyRouter(views, opts.telephony));
  router.use(interactionsRouter({ admin, closure: opts.closure, views, now: Date.now }));
  router.get('/admin/audit', async (req, res) => {
    const before = req.query.before === undefined ? undefined : Number(req.query.before);
    if (before !== undefined && !(Number.isSafeInteger(before) && before > 0)) throw invalid('invalid_before', 'before must be the number of an audit entry.');
    const page = await admin.audit({ beforeSeq: before });
    res.type('html').send(views.render('admin/audit', { title: 'Audit', csrf: req.agentSession!.csrfToken, ...page }));
  });
  return router;
}

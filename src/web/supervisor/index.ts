import { Router, type Request } from 'express';
import type { Administration } from '../../domain/administration.ts';
import type { ContactCenter } from '../../domain/contact-center.ts';
import { supervisorsOnly } from '../admin/admin-kit.ts';
import { sendAttachment } from '../attachments.ts';
import { requireAgent, requireCsrf } from '../auth.ts';
import type { SessionRegistry } from '../sessions.ts';
import type { Views } from '../views.ts';
import type { SupervisorPresenter } from './presenter.ts';

const isHtmx = (req: Request) => req.get('HX-Request') === 'true';

// The floor (/supervisor) and Monitor (one interaction, read-only): supervisors and admins. The gate
// covers every path under /supervisor, pages and actions alike (agents get 403), and the page's socket
// (realtime.ts) asks the same.
export function supervisorRouter(opts: { admin: Administration; center: ContactCenter; sessions: SessionRegistry; views: Views; presenter: SupervisorPresenter }): Router {
  const { presenter } = opts;
  const router = Router();
  router.use('/supervisor', requireAgent(opts.sessions), requireCsrf, supervisorsOnly(opts.admin, opts.views));

  router.get('/supervisor', async (req, res) => {
    if (isHtmx(req)) return void res.type('html').send(await presenter.floorFragments(false));
    res.type('html').send(presenter.render('supervisor/page', { csrf: req.agentSession!.csrfToken, ...(await presenter.floorView()) }));
  });

  router.get('/supervisor/interactions/:id', async (req, res) => {
    const rec = await presenter.interaction(String(req.params.id));
    res.type('html').send(presenter.render('supervisor/monitor', { csrf: req.agentSession!.csrfToken, ...(await presenter.monitorView(rec, req.agentSession!.agentId)) }));
  });

  router.get('/supervisor/attachments/:interactionId/:attachmentId', async (req, res) => {
    const rec = await presenter.interaction(String(req.params.interactionId));
    await sendAttachment(opts.center, rec.id, String(req.params.attachmentId), res);
  });

  return router;
}

import { Router, type Request, type Response } from 'express';
import type { Administration } from '../../domain/administration.ts';
import type { ContactCenter } from '../../domain/contact-center.ts';
import { DomainError } from '../../domain/errors.ts';
import type { SupervisionDesk } from '../../domain/supervision-desk.ts';
import { supervisorsOnly } from '../admin/admin-kit.ts';
import { requireAgent, requireCsrf } from '../auth.ts';
import { statusOf } from '../http-errors.ts';
import type { SessionRegistry } from '../sessions.ts';
import type { Views } from '../views.ts';
import { controlsView, SUPERVISOR_ACTIONS } from './controls-view.ts';

const isHtmx = (req: Request) => req.get('HX-Request') === 'true';

// Listen / Whisper / Barge / Stop on a call in progress, for supervisors and admins (403 to agents on
// every page and action). The buttons are views/partials/supervisor-controls.eta, in the Monitor
// page's call panel (/supervisor/interactions/:id). Each POST answers the controls redrawn (with the
// refusal's reason and status when refused); without htmx, back to Monitor.
export function snoopRouter(opts: { center: ContactCenter; supervision: SupervisionDesk; admin: Administration; sessions: SessionRegistry; views: Views }): Router {
  const { center, supervision, views } = opts;
  const router = Router();
  // On these paths only: the Monitor page beside them has its own gate.
  const gate = [requireAgent(opts.sessions), requireCsrf, supervisorsOnly(opts.admin, views)];
  const monitor = (id: string) => `/supervisor/interactions/${encodeURIComponent(id)}`;

  const answer = async (req: Request, res: Response, status = 200, error?: string) => {
    const rec = await supervision.interaction(String(req.params.id));
    if (!isHtmx(req)) return void res.redirect(303, monitor(rec.id));
    const view = await controlsView(center, supervision, rec, req.agentSession!.agentId, error);
    // A refusal is swapped in all the same, its reason in the controls (desktop.js): htmx swaps no
    // error answer by default, and these pages have no alert of their own.
    if (status >= 400) res.set('HX-Reswap', 'outerHTML');
    res.status(status).type('html').send(views.render('partials/supervisor-controls', view));
  };

  // The controls' former page: they are on Monitor now (old links and bookmarks land there).
  router.get('/supervisor/interactions/:id/call', ...gate, async (req, res) => res.redirect(303, monitor((await supervision.interaction(String(req.params.id))).id)));
  for (const action of SUPERVISOR_ACTIONS) {
    router.post(`/supervisor/interactions/:id/${action}`, ...gate, async (req, res) => {
      let done;
      try {
        done = await supervision[action](req.agentSession!.agentId, String(req.params.id));
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        return answer(req, res, statusOf(err), err.message);
      }
      // A phone that could not be rung ends the supervision at once: say why.
      await answer(req, res, 200, action !== 'stop' && done.state === 'ended' ? `Could not listen: ${done.cause}.` : undefined);
    });
  }
  return router;
}

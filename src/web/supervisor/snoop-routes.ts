import { Router, type Request, type Response } from 'express';
import type { Administration } from '../../domain/administration.ts';
import type { ContactCenter } from '../../domain/contact-center.ts';
import { DomainError } from '../../domain/errors.ts';
import { supervisionOf, supervisorActions, type SupervisorAction } from '../../domain/guards.ts';
import { liveLeg, type InteractionRecord } from '../../domain/interaction.ts';
import type { SupervisionDesk } from '../../domain/supervision-desk.ts';
import { isSupervising, SUPERVISION_LABEL, type SupervisionState } from '../../domain/supervision.ts';
import { supervisorsOnly } from '../admin/admin-kit.ts';
import { requireAgent, requireCsrf } from '../auth.ts';
import { statusOf } from '../http-errors.ts';
import type { SessionRegistry } from '../sessions.ts';
import type { Views } from '../views.ts';

const ACTIONS: readonly SupervisorAction[] = ['listen', 'whisper', 'barge', 'stop'];
const CONTROLS = 'partials/supervisor-controls';
const LOG_LENGTH = 30;
const isHtmx = (req: Request) => req.get('HX-Request') === 'true';

// Listen / Whisper / Barge / Stop on a call in progress, for supervisors and admins (403 to agents on
// every page and action). The buttons are views/partials/supervisor-controls.eta, which the Monitor
// page's call panel includes; /supervisor/interactions/:id/call is a small read-only page of the
// call with them. Each POST answers the controls redrawn (with the refusal's reason and status when
// refused); without htmx, the page.
export function snoopRouter(opts: { center: ContactCenter; supervision: SupervisionDesk; admin: Administration; sessions: SessionRegistry; views: Views }): Router {
  const { center, supervision, views } = opts;
  const router = Router();
  // On these paths only: the Monitor page beside them has its own gate.
  const gate = [requireAgent(opts.sessions), requireCsrf, supervisorsOnly(opts.admin, views)];

  // `fragment`: what an htmx request gets (the page's polled part, or the controls a button redraws).
  const render = async (req: Request, res: Response, fragment: string, status = 200, error?: string) => {
    const rec = await supervision.interaction(String(req.params.id));
    // The log only where it is shown (the page and its polled part): a button's answer is on the way to the supervisor's phone.
    const view = await callView(center, supervision, rec, req.agentSession!.agentId, { error, withLog: fragment !== CONTROLS || !isHtmx(req) });
    const html = isHtmx(req) ? views.render(fragment, view) : views.render('supervisor/call', { ...view, title: 'Call', csrf: req.agentSession!.csrfToken });
    res.status(status).type('html').send(html);
  };

  router.get('/supervisor/interactions/:id/call', ...gate, (req, res) => render(req, res, 'supervisor/call-body'));
  for (const action of ACTIONS) {
    router.post(`/supervisor/interactions/:id/${action}`, ...gate, async (req, res) => {
      let done;
      try {
        done = await supervision[action](req.agentSession!.agentId, String(req.params.id));
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        return render(req, res, CONTROLS, statusOf(err), err.message);
      }
      // A phone that could not be rung ends the supervision at once: say why.
      await render(req, res, CONTROLS, 200, action !== 'stop' && done.state === 'ended' ? `Could not listen: ${done.cause}.` : undefined);
    });
  }
  return router;
}

// The call as a supervisor sees it, and what they may do on it now (disabled with the reason when not).
export async function callView(center: ContactCenter, supervision: SupervisionDesk, rec: InteractionRecord, supervisorId: string, opts: { error?: string; withLog?: boolean } = {}) {
  const leg = liveLeg(rec) ?? rec.callLegs.at(-1);
  const may = supervisorActions(rec, supervisorId, supervision.capabilities);
  const name = async (id: string) => (await center.agentDisplayName(id)) ?? id;
  const mine = supervisionOf(rec, supervisorId);
  return {
    id: rec.id,
    agentName: rec.agentId ? await name(rec.agentId) : null,
    call: leg ? { live: liveLeg(rec) === leg, state: leg.state, label: leg.state.replaceAll('_', ' '), cause: leg.cause } : null,
    supervisors: await Promise.all(
      (leg?.supervisions ?? []).filter(isSupervising).map(async (s) => ({ name: await name(s.supervisorId), state: s.state, label: SUPERVISION_LABEL[s.state], mine: s.supervisorId === supervisorId })),
    ),
    // The last joins, mode changes and leaves on this interaction, oldest first.
    log: !opts.withLog ? [] : await Promise.all(
      (await center.timeline(rec.id, 0, ['supervision'])).slice(-LOG_LENGTH).map(async (e) => {
        const d = e.data as { state: SupervisionState; cause: string | null };
        return { at: new Date(e.createdAt).toISOString(), who: await name(e.agentId ?? ''), label: SUPERVISION_LABEL[d.state], cause: d.state === 'ended' ? d.cause : null };
      }),
    ),
    mode: mine?.state ?? null,
    actions: ACTIONS.map((action) => ({ action, label: action[0]!.toUpperCase() + action.slice(1), pressed: mine !== undefined && modeOf(mine.state) === action, refusal: may[action]?.message ?? null })),
    error: opts.error ?? null,
  };
}

const modeOf = (state: string) => ({ listening: 'listen', whispering: 'whisper', barging: 'barge' })[state];

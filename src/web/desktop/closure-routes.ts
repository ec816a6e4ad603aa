import { Router, type Request } from 'express';
import type { Closure } from '../../domain/closure.ts';
import type { ContactCenter } from '../../domain/contact-center.ts';
import { DomainError } from '../../domain/errors.ts';
import { statusOf } from '../http-errors.ts';
import type { DesktopPresenter } from './presenter.ts';

const agentOf = (req: Request) => req.agentSession!.agentId;
const field = (req: Request, name: string) => {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
};

// Wrap-up on the desktop: Done records the disposition and notes, and redraws the list. A refusal answers its 4xx status
// with the form showing the reason and what was typed (htmx is told to swap it anyway).
export function closureRouter(opts: { center: ContactCenter; closure: Closure; presenter: DesktopPresenter }): Router {
  const { center, closure, presenter } = opts;
  const router = Router();

  router.post('/desktop/interactions/:id/wrap-up', async (req, res) => {
    const agentId = agentOf(req);
    const id = String(req.params.id);
    const form = { disposition: field(req, 'disposition'), notes: field(req, 'notes') };
    let error: DomainError | undefined;
    try {
      await closure.wrapUp(agentId, id, form);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      error = err;
    }
    const rec = await center.interactionForAgent(agentId, id);
    const panel = await presenter.panel(rec, { withEntries: false });
    if (error) res.status(statusOf(error)).set('HX-Reswap', 'outerHTML');
    // Done: the list lets the chat go (it showed it in Wrap-up).
    const list = error ? '' : await presenter.listFragment(agentId, true);
    res.type('html').send(presenter.render('partials/wrap-up', { ...panel, wrapUpError: error?.message, wrapUpValues: error ? form : undefined }) + list);
  });

  return router;
}

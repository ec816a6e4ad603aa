import { Router, type Request } from 'express';
import type { ContactCenter } from '../../domain/contact-center.ts';
import { DomainError } from '../../domain/errors.ts';
import type { HandoffDesk } from '../../domain/handoff-desk.ts';
import type { InteractionRecord } from '../../domain/interaction.ts';
import { statusOf } from '../http-errors.ts';
import type { DesktopPresenter } from './presenter.ts';

const agentOf = (req: Request) => req.agentSession!.agentId;
const field = (req: Request, name: string) => (req.body as Record<string, unknown> | undefined)?.[name];

// Transfer, Consult, Complete transfer, Accept (the target) and Cancel transfer on the desktop
// (domain/handoff-desk.ts). Each answers the panel as the agent now sees it, and the list.
export function handoffRouter(opts: { center: ContactCenter; handoffs: HandoffDesk; presenter: DesktopPresenter }): Router {
  const { center, handoffs, presenter } = opts;
  const router = Router();

  const answer = async (agentId: string, rec: InteractionRecord, error?: DomainError) => {
    const panel = await presenter.panel(rec, { viewer: agentId });
    return presenter.render('partials/interaction-panel', { ...panel, transferError: error?.message }) + (await presenter.listFragment(agentId, true));
  };

  // A refused step answers its 4xx status with the panel showing the reason (htmx swaps it anyway).
  // A step done answers the interaction it returns: after Complete transfer it is no longer this
  // agent's to read again.
  const step = (path: string, act: (agentId: string, id: string, req: Request) => Promise<InteractionRecord>) =>
    router.post(`/desktop/interactions/:id/${path}`, async (req, res) => {
      const agentId = agentOf(req);
      const id = String(req.params.id);
      try {
        res.type('html').send(await answer(agentId, await act(agentId, id, req)));
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        const rec = await center.interactionForAgent(agentId, id);
        res.status(statusOf(err)).set('HX-Reswap', 'innerHTML').type('html').send(await answer(agentId, rec, err));
      }
    });
  const form = (req: Request) => ({ to: field(req, 'to'), note: field(req, 'note') });

  step('transfer', (agentId, id, req) => handoffs.transfer(agentId, id, form(req)));
  step('consult', (agentId, id, req) => handoffs.consult(agentId, id, form(req)));
  step('complete-transfer', (agentId, id) => handoffs.complete(agentId, id));
  step('cancel-transfer', (agentId, id) => handoffs.cancel(agentId, id));

  router.post('/desktop/interactions/:id/accept-transfer', async (req, res) => {
    const agentId = agentOf(req);
    const rec = await handoffs.accept(agentId, String(req.params.id));
    res.type('html').send(await answer(agentId, rec));
  });

  return router;
}

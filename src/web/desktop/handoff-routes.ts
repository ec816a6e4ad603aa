import { Router, type Request } from 'express';
import type { HandoffDesk } from '../../domain/handoff-desk.ts';
import type { InteractionRecord } from '../../domain/interaction.ts';
import type { DesktopPresenter } from './presenter.ts';

const agentOf = (req: Request) => req.agentSession!.agentId;
const field = (req: Request, name: string) => (req.body as Record<string, unknown> | undefined)?.[name];

// Transfer, Consult, Complete transfer, Accept (the target) and Cancel transfer on the desktop
// (domain/handoff-desk.ts). Each answers the panel as the agent now sees it, and the list.
export function handoffRouter(opts: { handoffs: HandoffDesk; presenter: DesktopPresenter }): Router {
  const { handoffs, presenter } = opts;
  const router = Router();

  const answer = async (agentId: string, rec: InteractionRecord) => {
    const panel = await presenter.panel(rec, { viewer: agentId });
    return presenter.render('partials/interaction-panel', panel) + (await presenter.listFragment(agentId, true));
  };

  // A step done answers the interaction it returns: after Complete transfer it is no longer this
  // agent's to read again. A refusal is the API's error answer (status, code, message), which the page
  // shows in its alert, like any refused desktop action: a panel drawn with it could land after a
  // newer push and show the chat as it was, and would replace the composer (with the client id a
  // Send retry needs).
  const step = (path: string, act: (agentId: string, id: string, req: Request) => Promise<InteractionRecord>) =>
    router.post(`/desktop/interactions/:id/${path}`, async (req, res) => {
      const agentId = agentOf(req);
      res.type('html').send(await answer(agentId, await act(agentId, String(req.params.id), req)));
    });
  const form = (req: Request) => ({ to: field(req, 'to'), note: field(req, 'note') });

  step('transfer', (agentId, id, req) => handoffs.transfer(agentId, id, form(req)));
  step('consult', (agentId, id, req) => handoffs.consult(agentId, id, form(req)));
  step('complete-transfer', (agentId, id) => handoffs.complete(agentId, id));
  step('cancel-transfer', (agentId, id) => handoffs.cancel(agentId, id));
  step('accept-transfer', (agentId, id) => handoffs.accept(agentId, id));

  return router;
}

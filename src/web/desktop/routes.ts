import { Router, type Request, type Response } from 'express';
import { PRESENCE_LABELS, presenceOf } from '../../domain/agent-presence.ts';
import type { ContactCenter } from '../../domain/contact-center.ts';
import { LIMITS } from '../../domain/limits.ts';
import { DomainError, invalid } from '../../domain/errors.ts';
import { sendAttachment } from '../attachments.ts';
import { requireAgent, requireCsrf } from '../auth.ts';
import { statusOf } from '../http-errors.ts';
import type { SessionRegistry } from '../sessions.ts';
import { historyCursor } from './history-cursor.ts';
import type { DesktopPresenter } from './presenter.ts';
import { utcDateTime } from '../time-format.ts';

const agentOf = (req: Request) => req.agentSession!.agentId;
// htmx restoring history after a cache miss sends HX-Request too, but swaps the answer into <body>:
// it needs the whole page, not the panel.
const isHtmx = (req: Request) => req.get('HX-Request') === 'true' && req.get('HX-History-Restore-Request') !== 'true';
// The desktop page a form came from (a panel's or the list's), else the list: never anywhere else.
const desktopPathOf = (back: unknown): string => (typeof back === 'string' && /^\/desktop(\/interactions\/[\w-]+)?$/.test(back) ? back : '/desktop');
const isHistoryRestore = (req: Request) => req.get('HX-History-Restore-Request') === 'true';

// The agent desktop: one URL serves a whole page, or just the part htmx asked for.
export function desktopRouter(opts: { center: ContactCenter; sessions: SessionRegistry; presenter: DesktopPresenter }): Router {
  const { center, sessions, presenter } = opts;
  const router = Router();
  router.use('/desktop', requireAgent(sessions), requireCsrf);

  // A chat that is no longer the agent's (transferred, offer lapsed, requeued) is not shown: the desktop
  // is, saying why, with the refusal's status (200 to a history restore: htmx swaps only a success).
  const panelOf = async (req: Request, agentId: string, panelId: string) => {
    try {
      return { panel: await presenter.panel(await center.interactionForAgent(agentId, panelId), { viewer: agentId }) };
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      return { notice: err.message, status: isHistoryRestore(req) ? 200 : statusOf(err) };
    }
  };

  const page = async (req: Request, res: Response, panelId?: string) => {
    const agentId = agentOf(req);
    const agent = await center.findAgent(agentId);
    const presence = presenceOf(center.agents(), agentId);
    const { panel, notice, status } = panelId ? await panelOf(req, agentId, panelId) : {};
    res.status(status ?? 200).type('html').send(
      presenter.render('desktop/page', {
        title: panel ? panel.customerName : 'Desktop',
        csrf: req.agentSession!.csrfToken,
        back: req.path,
        // The header links to the pages this role may use (Admin for admins).
        agent: { id: agentId, displayName: agent?.displayName ?? agentId, role: agent?.role ?? 'agent' },
        presence,
        label: PRESENCE_LABELS[presence],
        items: await presenter.listItems(agentId),
        calling: presenter.callingConfigured,
        ...presenter.telephonyNotice(),
        panel,
        notice,
      }),
    );
  };

  router.get('/desktop', (req, res) => page(req, res));

  router.get('/desktop/interactions/:id', async (req, res) => {
    if (!isHtmx(req)) return page(req, res, String(req.params.id));
    const rec = await center.interactionForAgent(agentOf(req), String(req.params.id));
    res.type('html').send(await presenter.panelFragment(rec, agentOf(req)));
  });

  router.post('/desktop/presence', async (req, res) => {
    const wanted = (req.body as { presence?: string } | undefined)?.presence;
    if (wanted !== 'ready' && wanted !== 'not_ready') throw invalid('invalid_presence', 'presence must be ready or not_ready.');
    // Awaited: a cluster's follower forwards it to the leader.
    const agent = await center.setPresence(agentOf(req), wanted === 'ready' ? 'make_ready' : 'make_not_ready');
    if (isHtmx(req)) return void res.type('html').send(presenter.presenceFragment(agent));
    // Sent the browser's way (clicked before htmx loaded): back to the desktop page it came from (the
    // form says which: no Referer is sent, by the Referrer-Policy).
    res.redirect(303, desktopPathOf((req.body as { back?: unknown }).back));
  });

  router.post('/desktop/interactions/:id/accept', async (req, res) => {
    const agentId = agentOf(req);
    const rec = await center.accept(agentId, String(req.params.id));
    res.type('html').send((await presenter.panelFragment(rec, agentId)) + (await presenter.listFragment(agentId, true)));
  });

  router.post('/desktop/interactions/:id/messages', async (req, res) => {
    const agentId = agentOf(req);
    const id = String(req.params.id);
    const body = req.body as { text?: unknown; client_id?: unknown } | undefined;
    const text = String(body?.text ?? '');
    // Without one (a page from before client ids, or a form tampered with), each send is a new message.
    const given = body?.client_id;
    const clientId = typeof given === 'string' && given !== '' && given.length <= LIMITS.clientIdMaxChars ? given : undefined;
    const rec = await center.interactionForAgent(agentId, id);
    const drawn = await presenter.panel(rec, { withEntries: false });
    // Whether the agent may still write is read once the send is done: the customer may have ended the
    // chat meanwhile (its push, which disabled the box, came before this answer).
    const composer = () => ({ ...drawn, canWrite: presenter.canWrite(rec, agentId) });
    try {
      const entry = await center.postAgentMessage(agentId, id, text, clientId);
      // The id named a reply stored with another text: after an uncertain failure the composer kept its
      // id, and the agent wrote something else into it. That is a new reply, under the new composer's id.
      if (entry.text !== text) await center.postAgentMessage(agentId, id, text, drawn.clientId);
      res.type('html').send(presenter.render('partials/composer', composer()));
    } catch (err) {
      // Keep what the agent typed and say why it was refused, in place, with its client id: after a
      // 503 the send may have been stored, and Send again must not store it twice.
      if (!(err instanceof DomainError)) throw err;
      const keepId = clientId !== undefined && err.code !== 'invalid_client_id' && err.code !== 'client_id_taken';
      res.status(200).type('html').send(presenter.render('partials/composer', { ...composer(), draft: text, error: err.message, clientId: keepId ? clientId : drawn.clientId }));
    }
  });

  router.post('/desktop/interactions/:id/disconnect', async (req, res) => {
    const agentId = agentOf(req);
    const rec = await center.disconnect(agentId, String(req.params.id));
    res.type('html').send((await presenter.panelFragment(rec, agentId)) + (await presenter.listFragment(agentId, true)));
  });

  router.get('/desktop/attachments/:interactionId/:attachmentId', async (req, res) => {
    const { interaction: rec } = await center.interactionToRead(agentOf(req), String(req.params.interactionId));
    await sendAttachment(center, rec.id, String(req.params.attachmentId), res);
  });

  // Older: htmx appends the next page's rows in place of the link; a plain link opens that page.
  router.get('/desktop/history', async (req, res) => {
    const before = historyCursor(req.query.before);
    const page = await presenter.historyPage(agentOf(req), before);
    if (isHtmx(req)) return res.type('html').send(presenter.render('partials/history-rows', page));
    res.type('html').send(presenter.render('desktop/history', { csrf: req.agentSession!.csrfToken, ...page, older: before !== undefined }));
  });

  router.get('/desktop/history/:id', async (req, res) => {
    const { interaction: rec, agentIds } = await center.interactionToRead(agentOf(req), String(req.params.id));
    // Seen by this agent: the wrap-up form only if it owes it, and the entries its chat panel showed
    // (a supervisor who only listened stays silent here too; Monitor shows everything).
    const panel = await presenter.panel(rec, { viewer: agentOf(req) });
    res.type('html').send(
      presenter.render('desktop/timeline', {
        csrf: req.agentSession!.csrfToken,
        panel,
        // Every agent who worked it, in order; the one who has it now only while it is open.
        agents: await presenter.agentNames(agentIds),
        acceptedAt: rec.acceptedAt ? `${utcDateTime(rec.acceptedAt)} UTC` : '—',
        ended: rec.state === 'ended' ? { at: rec.endedAt ? `${utcDateTime(rec.endedAt)} UTC` : '—', by: rec.endedBy ?? '—' } : null,
        nowWith: rec.state !== 'ended' && rec.agentId ? await presenter.agentName(rec.agentId) : null,
      }),
    );
  });

  return router;
}

import { Router, type Request, type Response } from 'express';
import type { ServiceForm } from '../../domain/admin-rules.ts';
import type { Administration } from '../../domain/administration.ts';
import type { Service } from '../../domain/directory.ts';
import type { Views } from '../views.ts';
import { actorOf, pathId, refusalOf, text, ticked, type Refusal } from './admin-kit.ts';

const emptyForm: ServiceForm = { id: '', name: '', autoDial: false, smsNumber: '', recordCalls: false };
const formOf = (s: Service): ServiceForm => ({ id: s.id, name: s.name, autoDial: s.autoDial, smsNumber: s.smsNumber ?? '', recordCalls: s.recordCalls ?? false });
const readForm = (req: Request): ServiceForm => ({
  id: text(req, 'id'),
  name: text(req, 'name'),
  autoDial: ticked(req, 'autoDial'),
  smsNumber: text(req, 'smsNumber'),
  recordCalls: ticked(req, 'recordCalls'),
});

// /admin/services (admins only, gated in admin/index.ts): the list, Add service, edit, Disable/Enable.
// Plain forms: a refusal answers the same form with what was typed and a message next to each field.
export function servicesRouter(admin: Administration, views: Views): Router {
  const router = Router();

  const list = async (req: Request, res: Response, extra: { notice?: string; refusal?: Refusal } = {}) => {
    res.status(extra.refusal?.status ?? 200).type('html').send(
      views.render('admin/services', { title: 'Services', csrf: req.agentSession!.csrfToken, services: await admin.listServices(), notice: extra.notice, alert: extra.refusal?.alert }),
    );
  };
  const form = (req: Request, res: Response, values: ServiceForm, editing: string | null, refusal?: Refusal) => {
    res.status(refusal?.status ?? 200).type('html').send(
      views.render('admin/service-form', { title: editing ? `Edit ${values.name}` : 'Add service', csrf: req.agentSession!.csrfToken, values, editing, errors: refusal?.fields ?? {}, alert: refusal?.alert }),
    );
  };

  router.get('/admin/services', (req, res) => list(req, res));
  router.get('/admin/services/new', (req, res) => form(req, res, emptyForm, null));
  router.get('/admin/services/:id/edit', async (req, res) => form(req, res, formOf(await admin.service(pathId(req))), pathId(req)));

  router.post('/admin/services', async (req, res) => {
    const values = readForm(req);
    try {
      const saved = await admin.saveService(actorOf(req), values);
      return list(req, res, { notice: `Service ${saved.name} added: customers reach it at /m/${saved.id}.` });
    } catch (err) {
      return form(req, res, values, null, refusalOf(err));
    }
  });

  router.post('/admin/services/:id', async (req, res) => {
    const values = { ...readForm(req), id: pathId(req) };
    try {
      const saved = await admin.saveService(actorOf(req), values, pathId(req));
      return list(req, res, { notice: `Service ${saved.name} saved.` });
    } catch (err) {
      return form(req, res, values, pathId(req), refusalOf(err));
    }
  });

  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    router.post(`/admin/services/:id/${action}`, async (req, res) => {
      try {
        const s = await admin.setServiceDisabled(actorOf(req), pathId(req), disabled);
        return list(req, res, { notice: disabled ? `${s.name} is disabled: it takes no new chats; chats in progress go on.` : `${s.name} takes chats again.` });
      } catch (err) {
        return list(req, res, { refusal: refusalOf(err) });
      }
    });
  }
  return router;
}

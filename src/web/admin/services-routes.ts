import { Router, type Request, type Response } from 'express';
import { agentsServing, unstaffedServices, type ServiceForm } from '../../domain/admin-rules.ts';
import { serviceVersion, type Administration } from '../../domain/administration.ts';
import type { Service } from '../../domain/directory.ts';
import { DEFAULT_SERVICE_LEVEL_SECONDS } from '../../domain/floor-stats.ts';
import { wrapUpSettings } from '../../domain/wrap-up.ts';
import type { Views } from '../views.ts';
import { actorOf, disableEnableRoutes, sendPage, pathId, recordRoutes, sent, text, ticked, type ListExtra, type Refusal } from './admin-kit.ts';

const closureForm = (s?: Service) => {
  const w = wrapUpSettings(s);
  return { dispositionCodes: w.dispositionCodes.join('\n'), wrapUpSeconds: String(w.wrapUpSeconds), afterWrapUp: w.afterWrapUp, cannedResponses: (s?.cannedResponses ?? []).join('\n') };
};
const emptyForm: ServiceForm = { id: '', name: '', autoDial: false, smsNumber: '', recordCalls: false, serviceLevelSeconds: String(DEFAULT_SERVICE_LEVEL_SECONDS), ...closureForm() };
const formOf = (s: Service): ServiceForm => ({
  id: s.id, name: s.name, autoDial: s.autoDial, smsNumber: s.smsNumber ?? '', recordCalls: s.recordCalls ?? false, serviceLevelSeconds: String(s.serviceLevelSeconds ?? DEFAULT_SERVICE_LEVEL_SECONDS),
  ...closureForm(s),
  version: serviceVersion(s),
});
// A closure field the form did not send keeps the service's value (older clients, scripts).
const readForm = (req: Request, editing: string | null): ServiceForm => {
  const [autoDial, recordCalls] = [ticked(req, 'autoDial'), ticked(req, 'recordCalls')];
  const closure = { dispositionCodes: sent(req, 'dispositionCodes'), wrapUpSeconds: sent(req, 'wrapUpSeconds'), afterWrapUp: sent(req, 'afterWrapUp'), cannedResponses: sent(req, 'cannedResponses') };
  return { id: editing ?? text(req, 'id'), name: text(req, 'name'), smsNumber: text(req, 'smsNumber'), autoDial, recordCalls, serviceLevelSeconds: text(req, 'serviceLevelSeconds'), ...closure, version: sent(req, 'version') };
};

// /admin/services (admins only, gated in admin/index.ts): the list, Add service, edit, Disable/Enable.
// Plain forms: a refusal answers the same form with what was typed and a message next to each field.
export function servicesRouter(admin: Administration, views: Views): Router {
  const router = Router();

  const list = async (req: Request, res: Response, extra: ListExtra = {}) => {
    const services = await admin.listServices();
    const agents = await admin.listAgents();
    const serving = agentsServing(services, agents);
    const unstaffed = new Set(unstaffedServices(services, agents).map((s) => s.id));
    sendPage(res, extra.refusal, views.render('admin/services', { title: 'Services', csrf: req.agentSession!.csrfToken, services, serving, unstaffed, notice: extra.notice, alert: extra.refusal?.alert }));
  };
  const form = (req: Request, res: Response, values: ServiceForm, editing: string | null, refusal?: Refusal) => {
    sendPage(res, refusal, views.render('admin/service-form', { title: editing ? `Edit ${values.name}` : 'Add service', csrf: req.agentSession!.csrfToken, values, editing, errors: refusal?.fields ?? {}, alert: refusal?.alert }));
  };

  recordRoutes(router, {
    base: '/admin/services',
    empty: emptyForm,
    read: readForm,
    load: async (id) => formOf(await admin.service(id)),
    list,
    form,
    async save(req, values, editing) {
      const saved = await admin.saveService(actorOf(req), values, editing ?? undefined);
      return { notice: editing ? `Service ${saved.name} saved.` : `Service ${saved.name} added: customers reach it at /m/${saved.id}.` };
    },
  });
  disableEnableRoutes(router, '/admin/services', async (req, disabled) => {
    const s = await admin.setServiceDisabled(actorOf(req), pathId(req), disabled);
    return disabled ? `${s.name} is disabled: it takes no new chats; chats in progress go on.` : `${s.name} takes chats again.`;
  }, list);
  return router;
}

import { Router, type Request, type Response } from 'express';
import type { AgentForm } from '../../domain/admin-rules.ts';
import type { Administration } from '../../domain/administration.ts';
import type { Agent } from '../../domain/directory.ts';
import type { Views } from '../views.ts';
import { actorOf, list as listField, pathId, refusalOf, text, type Refusal } from './admin-kit.ts';

type Values = AgentForm & { password: string };
const emptyForm: Values = { username: '', displayName: '', role: 'agent', serviceIds: [], password: '' };
const formOf = (a: Agent): Values => ({ username: a.id, displayName: a.displayName, role: a.role, serviceIds: a.serviceIds, password: '' });
const readForm = (req: Request): Values => ({
  username: text(req, 'username'),
  displayName: text(req, 'displayName'),
  role: text(req, 'role'),
  serviceIds: listField(req, 'serviceIds'),
  password: text(req, 'password'),
});

// /admin/agents (admins only, gated in admin/index.ts): the table, Add agent, edit name, role and
// services, Disable/Enable and Reset password in each row. A generated password is shown once, in
// the answer to the request that made it, and nowhere else (no log, no audit entry).
export function agentsRouter(admin: Administration, views: Views): Router {
  const router = Router();

  const table = async (req: Request, res: Response, extra: { notice?: string; refusal?: Refusal; password?: { username: string; password: string } } = {}) => {
    res.status(extra.refusal?.status ?? 200).type('html').send(
      views.render('admin/agents', {
        title: 'Agents',
        csrf: req.agentSession!.csrfToken,
        agents: await admin.listAgents(),
        services: await admin.listServices(),
        notice: extra.notice,
        alert: extra.refusal?.alert,
        password: extra.password,
      }),
    );
  };
  const form = async (req: Request, res: Response, values: Values, editing: string | null, refusal?: Refusal) => {
    res.status(refusal?.status ?? 200).type('html').send(
      views.render('admin/agent-form', {
        title: editing ? `Edit ${values.username}` : 'Add agent',
        csrf: req.agentSession!.csrfToken,
        values,
        editing,
        services: await admin.listServices(),
        errors: refusal?.fields ?? {},
        alert: refusal?.alert,
      }),
    );
  };

  router.get('/admin/agents', (req, res) => table(req, res));
  router.get('/admin/agents/new', (req, res) => form(req, res, emptyForm, null));
  router.get('/admin/agents/:id/edit', async (req, res) => form(req, res, formOf(await admin.agent(pathId(req))), pathId(req)));

  router.post('/admin/agents', async (req, res) => {
    const values = readForm(req);
    try {
      const { agent, generatedPassword } = await admin.createAgent(actorOf(req), values);
      return table(req, res, { notice: `Agent ${agent.id} added.`, password: generatedPassword ? { username: agent.id, password: generatedPassword } : undefined });
    } catch (err) {
      return form(req, res, { ...values, password: '' }, null, refusalOf(err));
    }
  });

  router.post('/admin/agents/:id', async (req, res) => {
    const values = { ...readForm(req), username: pathId(req) };
    try {
      const agent = await admin.updateAgent(actorOf(req), pathId(req), values);
      return table(req, res, { notice: `Agent ${agent.id} saved.` });
    } catch (err) {
      return form(req, res, values, pathId(req), refusalOf(err));
    }
  });

  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    router.post(`/admin/agents/:id/${action}`, async (req, res) => {
      try {
        const a = await admin.setAgentDisabled(actorOf(req), pathId(req), disabled);
        return table(req, res, { notice: disabled ? `${a.id} is disabled: its sessions ended and its chats went back to the queue.` : `${a.id} can log in again.` });
      } catch (err) {
        return table(req, res, { refusal: refusalOf(err) });
      }
    });
  }

  router.post('/admin/agents/:id/reset-password', async (req, res) => {
    try {
      const password = await admin.resetPassword(actorOf(req), pathId(req));
      return table(req, res, { notice: `New password for ${pathId(req)}: its sessions ended.`, password: { username: pathId(req), password } });
    } catch (err) {
      return table(req, res, { refusal: refusalOf(err) });
    }
  });
  return router;
}

import { Router, type Request, type Response } from 'express';
import { unstaffedServices, type AgentForm } from '../../domain/admin-rules.ts';
import { agentVersion, type Administration } from '../../domain/administration.ts';
import type { Agent } from '../../domain/directory.ts';
import type { Views } from '../views.ts';
import { actorOf, disableEnableRoutes, sendPage, list as listField, pathId, recordRoutes, refusalOf, sent, text, type ListExtra, type Refusal } from './admin-kit.ts';

type Values = AgentForm & { password: string };
const emptyForm: Values = { username: '', displayName: '', role: 'agent', serviceIds: [], password: '' };
const formOf = (a: Agent): Values => ({ username: a.id, displayName: a.displayName, role: a.role, serviceIds: a.serviceIds, password: '', version: agentVersion(a) });
const readForm = (req: Request, editing: string | null): Values => {
  const [displayName, role, password] = ['displayName', 'role', 'password'].map((name) => text(req, name)) as [string, string, string];
  return { username: editing ?? text(req, 'username'), displayName, role, password, serviceIds: listField(req, 'serviceIds'), version: sent(req, 'version') };
};

// /admin/agents (admins only, gated in admin/index.ts): the table, Add agent, edit name, role and
// services, Disable/Enable and Reset password in each row. A generated password is shown once, in
// the answer to the request that made it, and nowhere else (no log, no audit entry).
export function agentsRouter(admin: Administration, views: Views): Router {
  const router = Router();

  const table = async (req: Request, res: Response, extra: ListExtra = {}) => {
    const [agents, services] = [await admin.listAgents(), await admin.listServices()];
    sendPage(res, extra.refusal, views.render('admin/agents', {
      title: 'Agents',
      csrf: req.agentSession!.csrfToken,
      agents,
      services,
      // Said on every drawing, so the admin who just disabled or moved the last one sees it at once.
      unstaffed: unstaffedServices(services, agents),
      notice: extra.notice,
      alert: extra.refusal?.alert,
      password: extra.password,
    }));
  };
  const form = async (req: Request, res: Response, values: Values, editing: string | null, refusal?: Refusal) => {
    sendPage(res, refusal, views.render('admin/agent-form', {
      title: editing ? `Edit ${values.username}` : 'Add agent',
      csrf: req.agentSession!.csrfToken,
      values,
      editing,
      services: await admin.listServices(),
      errors: refusal?.fields ?? {},
      alert: refusal?.alert,
    }));
  };

  recordRoutes(router, {
    base: '/admin/agents',
    empty: emptyForm,
    read: readForm,
    load: async (id) => formOf(await admin.agent(id)),
    list: table,
    form,
    retyped: (values) => ({ ...values, password: '' }),
    async save(req, values, editing) {
      if (editing) return { notice: `Agent ${(await admin.updateAgent(actorOf(req), editing, values)).id} saved.` };
      const { agent, generatedPassword } = await admin.createAgent(actorOf(req), values);
      return { notice: `Agent ${agent.id} added.`, password: generatedPassword ? { username: agent.id, password: generatedPassword } : undefined };
    },
  });
  disableEnableRoutes(router, '/admin/agents', async (req, disabled) => {
    const a = await admin.setAgentDisabled(actorOf(req), pathId(req), disabled);
    return disabled ? `${a.id} is disabled: its sessions ended and its chats went back to the queue.` : `${a.id} can log in again.`;
  }, table);

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

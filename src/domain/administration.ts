import { createHash, randomBytes } from 'node:crypto';
import { assertAdminRemains, checkAgent, checkService, passwordProblem, type AgentForm, type ServiceForm } from './admin-rules.ts';
import { watchesTheFloor, type Agent, type AuditEntry, type NewAuditEntry, type Service } from './directory.ts';
import { conflict, forbidden, FormError, notFound } from './errors.ts';
import type { Clock, Directory } from './ports.ts';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
}

// What else must follow a change, wired by main.ts: routing (who serves what, a disabled agent's chats
// back to the queue), the agent's sessions, its phone endpoints, the SMS numbers.
export interface AdminHooks {
  // 'password': an admin's reset (every session ends); 'own_password': the agent's own change on
  // /account (its caller renews the session that asked and ends the others).
  agentChanged(agent: Agent, change: 'created' | 'updated' | 'disabled' | 'enabled' | 'password' | 'own_password'): Promise<void>;
  servicesChanged(services: Service[]): Promise<void>;
}

// Who did it: an agent's username, or "cli" for `npm run admin`.
export type Actor = string;

// What the audit trail keeps of a record: everything an admin set, never a password or its hash.
const agentView = (a: Agent) => ({ displayName: a.displayName, role: a.role, serviceIds: a.serviceIds, disabled: a.disabled ?? false });
const serviceView = (s: Service) => ({
  name: s.name, autoDial: s.autoDial, smsNumber: s.smsNumber ?? null, recordCalls: s.recordCalls ?? false, serviceLevelSeconds: s.serviceLevelSeconds ?? null, disabled: s.disabled ?? false,
  dispositionCodes: s.dispositionCodes ?? [], wrapUpSeconds: s.wrapUpSeconds ?? null, afterWrapUp: s.afterWrapUp ?? null, cannedResponses: s.cannedResponses ?? [],
});

// What an edit form was drawn from: saved over a record another admin changed meanwhile, it would put
// back what they changed (every field of the form is sent). Disabled is not the form's: a save keeps it.
const versionOf = (view: { disabled: boolean }) => createHash('sha256').update(JSON.stringify({ ...view, disabled: undefined })).digest('base64url').slice(0, 22);
export const serviceVersion = (s: Service) => versionOf(serviceView(s));
export const agentVersion = (a: Agent) => versionOf(agentView(a));
// A form drawn from an older record is refused, unless the record already is what it saves (the
// admin's own save, sent again after its answer was lost): then nothing is written twice.
function staleForm<T>(form: { version?: string }, before: T, after: T, version: (r: T) => string, what: string): boolean {
  if (form.version === undefined || form.version === version(before)) return false;
  if (version(after) === version(before)) return true;
  throw conflict('changed_meanwhile', `Another admin changed this ${what} after you opened it: reload it to see their change, then make yours again.`);
}

export function generatePassword(): string {
  return randomBytes(12).toString('base64url');
}

// Services and agents, changed by admins: every change checked by admin-rules.ts, saved with its
// audit entry in one write, then followed by the hooks.
export class Administration {
  readonly #directory: Directory;
  readonly #clock: Clock;
  readonly #passwords: PasswordHasher;
  readonly #hooks: AdminHooks;
  // The last change in line. Every node forwards admin changes to the leader, where they run one at a
  // time: each is checked against what the one before it saved, so two admins cannot both disable the
  // last other admin, nor both add the same username (the second would overwrite the first).
  #lastChange: Promise<unknown> = Promise.resolve();

  constructor(deps: { directory: Directory; clock: Clock; passwords: PasswordHasher; hooks: AdminHooks }) {
    this.#directory = deps.directory;
    this.#clock = deps.clock;
    this.#passwords = deps.passwords;
    this.#hooks = deps.hooks;
  }

  // The acting agent, when it is an enabled admin; every admin page and action asks first.
  async requireAdmin(agentId: string): Promise<Agent> {
    const agent = await this.#directory.getAgent(agentId);
    if (!agent || agent.disabled || agent.role !== 'admin') throw forbidden('admins_only', 'Only admins may open this page.');
    return agent;
  }

  // The floor's pages (/supervisor): supervisors and admins.
  async requireSupervisor(agentId: string): Promise<Agent> {
    const agent = await this.#directory.getAgent(agentId);
    if (!agent || !watchesTheFloor(agent)) throw forbidden('supervisors_only', 'Only supervisors and admins may open this page.');
    return agent;
  }

  listServices(): Promise<Service[]> {
    return this.#directory.listServices();
  }

  listAgents(): Promise<Agent[]> {
    return this.#directory.listAgents();
  }

  // A page of the audit trail, newest first, and where the next (older) one starts, if there is one.
  async audit(opts: { beforeSeq?: number; limit?: number } = {}): Promise<{ entries: AuditEntry[]; olderFrom: number | null }> {
    const limit = opts.limit ?? 200;
    const read = await this.#directory.listAudit(limit + 1, opts.beforeSeq);
    const entries = read.slice(0, limit);
    return { entries, olderFrom: read.length > limit ? entries.at(-1)!.seq : null };
  }

  async service(id: string): Promise<Service> {
    const service = await this.#directory.getService(id);
    if (!service) throw notFound('unknown_service', `No service "${id}".`);
    return service;
  }

  async agent(id: string): Promise<Agent> {
    const agent = await this.#directory.getAgent(id);
    if (!agent) throw notFound('unknown_agent', `No agent "${id}".`);
    return agent;
  }

  saveService(actor: Actor, form: ServiceForm, editingId?: string): Promise<Service> {
    return this.#oneAtATime(async () => {
      const editing = editingId === undefined ? undefined : await this.service(editingId);
      const service = checkService(form, await this.#directory.listServices(), editing);
      if (editing && staleForm(form, editing, service, serviceVersion, 'service')) return editing;
      await this.#directory.saveService(service, this.entry(actor, editing ? 'service.updated' : 'service.created', 'service', service.id, editing && serviceView(editing), serviceView(service)));
      await this.#hooks.servicesChanged(await this.#directory.listServices());
      return service;
    });
  }

  // A disabled service takes no new chats (its page and the API say so); chats in progress go on.
  setServiceDisabled(actor: Actor, id: string, disabled: boolean): Promise<Service> {
    return this.#oneAtATime(async () => {
      const before = await this.service(id);
      // Already so (a second admin, a double click): nothing to record.
      if ((before.disabled ?? false) === disabled) return before;
      const service = { ...before, disabled };
      await this.#directory.saveService(service, this.entry(actor, disabled ? 'service.disabled' : 'service.enabled', 'service', id, serviceView(before), serviceView(service)));
      await this.#hooks.servicesChanged(await this.#directory.listServices());
      return service;
    });
  }

  // A blank password is generated; the caller shows it once. A typed one must pass the length floor.
  createAgent(actor: Actor, form: AgentForm & { password: string }): Promise<{ agent: Agent; generatedPassword: string | null }> {
    return this.#oneAtATime(async () => {
      const fields = checkAgent(form, await this.#directory.listAgents(), await this.#directory.listServices());
      const problem = form.password === '' ? null : passwordProblem(form.password);
      if (problem) throw new FormError({ password: problem });
      const generatedPassword = form.password === '' ? generatePassword() : null;
      const agent: Agent = { ...fields, passwordHash: await this.#passwords.hash(generatedPassword ?? form.password) };
      await this.#directory.saveAgent(agent, this.entry(actor, 'agent.created', 'agent', agent.id, null, agentView(agent)));
      await this.#hooks.agentChanged(agent, 'created');
      return { agent, generatedPassword };
    });
  }

  updateAgent(actor: Actor, id: string, form: Omit<AgentForm, 'username'>): Promise<Agent> {
    return this.#oneAtATime(async () => {
      const agents = await this.#directory.listAgents();
      const before = await this.agent(id);
      const agent: Agent = { ...checkAgent({ ...form, username: id }, agents, await this.#directory.listServices(), before), passwordHash: before.passwordHash };
      if (staleForm(form, before, agent, agentVersion, 'agent')) return before;
      assertAdminRemains(agents, agent);
      await this.#directory.saveAgent(agent, this.entry(actor, 'agent.updated', 'agent', id, agentView(before), agentView(agent)));
      await this.#hooks.agentChanged(agent, 'updated');
      return agent;
    });
  }

  // Disabling ends the agent's sessions and hands its chats back to the queue (the hooks do).
  setAgentDisabled(actor: Actor, id: string, disabled: boolean): Promise<Agent> {
    return this.#oneAtATime(async () => {
      const before = await this.agent(id);
      // Already so: nothing to record, but disabling is applied again (it may have stopped half way).
      if ((before.disabled ?? false) === disabled) {
        if (disabled) await this.#hooks.agentChanged(before, 'disabled');
        return before;
      }
      const agent = { ...before, disabled };
      assertAdminRemains(await this.#directory.listAgents(), agent);
      await this.#directory.saveAgent(agent, this.entry(actor, disabled ? 'agent.disabled' : 'agent.enabled', 'agent', id, agentView(before), agentView(agent)));
      await this.#hooks.agentChanged(agent, disabled ? 'disabled' : 'enabled');
      return agent;
    });
  }

  // Disabling is saved, then applied (chats back to the queue, sessions ended, phones removed). A leader
  // that stopped in between, or a change made while no server ran, left it half done: every start applies
  // it again (each effect is idempotent).
  async reapplyDisabled(): Promise<void> {
    for (const agent of await this.#directory.listAgents()) if (agent.disabled) await this.#hooks.agentChanged(agent, 'disabled');
  }

  // A new generated password, shown once to the admin; the agent's sessions end.
  resetPassword(actor: Actor, id: string): Promise<string> {
    return this.#oneAtATime(async () => {
      const before = await this.agent(id);
      const password = generatePassword();
      const agent = { ...before, passwordHash: await this.#passwords.hash(password) };
      await this.#directory.saveAgent(agent, this.entry(actor, 'agent.password_reset', 'agent', id, null, null));
      await this.#hooks.agentChanged(agent, 'password');
      return password;
    });
  }

  // An agent's own change: the current password proves it is them.
  changeOwnPassword(agentId: string, current: string, next: string): Promise<void> {
    return this.#oneAtATime(async () => {
      const before = await this.agent(agentId);
      if (!(await this.#passwords.verify(current, before.passwordHash))) throw new FormError({ currentPassword: 'This is not your current password.' });
      const problem = passwordProblem(next);
      if (problem) throw new FormError({ newPassword: problem });
      if (next === current) throw new FormError({ newPassword: 'Choose a password different from the current one.' });
      const agent = { ...before, passwordHash: await this.#passwords.hash(next) };
      // The caller ends the agent's other sessions: the page that asked stays logged in.
      await this.#directory.saveAgent(agent, this.entry(agentId, 'agent.password_changed', 'agent', agentId, null, null));
      await this.#hooks.agentChanged(agent, 'own_password');
    });
  }

  // The first admin of an install without demo data (`npm run admin -- create-admin <username>`).
  createFirstAdmin(username: string): Promise<{ agent: Agent; generatedPassword: string | null }> {
    return this.#directory.listServices().then((services) =>
      this.createAgent('cli', { username, displayName: username, role: 'admin', serviceIds: services.map((s) => s.id), password: '' }),
    );
  }

  #oneAtATime<T>(change: () => Promise<T>): Promise<T> {
    const result = this.#lastChange.then(change);
    this.#lastChange = result.catch(() => undefined); // the caller hears the failure; the line goes on
    return result;
  }

  private entry(actor: Actor, action: string, targetKind: 'service' | 'agent', targetId: string, before: Record<string, unknown> | null | undefined, after: Record<string, unknown> | null): NewAuditEntry {
    return { at: this.#clock.now(), actor, action, targetKind, targetId, before: before ?? null, after };
  }
}

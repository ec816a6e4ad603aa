import { AGENT_ROLES, type Agent, type AgentRole, type Service } from './directory.ts';
import { conflict, FormError } from './errors.ts';
import { DEFAULT_SERVICE_LEVEL_SECONDS } from './floor-stats.ts';
import { E164 } from './limits.ts';
import { checkCannedResponses } from './canned-responses.ts';
import { checkWrapUpSettings, wrapUpSettings, type WrapUpFields } from './wrap-up.ts';

// The rules of administration, pure: what a service id, a username, a password may be, which values
// must stay unique, and that an enabled admin always remains.

// A service id appears in /m/{id} and the API: lowercase letters, digits, '-' and '_'.
const SERVICE_ID = /^[a-z0-9][a-z0-9_-]{1,39}$/;
// A username is also the agent's SIP endpoint ("<username>", "<username>-desk"): no ending in -desk,
// or it would collide with another agent's desk phone.
const USERNAME = /^[a-z0-9][a-z0-9._-]{1,31}$/;
// Nor the name of one of Asterisk's own PJSIP objects (asterisk-config/pjsip.conf): pushing an agent's
// endpoint over it is refused by Asterisk, and that refusal stops every reconnect of the telephony.
export const RESERVED_USERNAMES: ReadonlySet<string> = new Set(['global', 'transport-ws', 'transport-udp', 'trunk', 'trunk-aor', 'simulated-pstn', 'simulated-pstn-auth', 'simulated-pstn-aor', 'sms-trunk', 'sms-trunk-auth', 'sms-trunk-aor']);
const NAME_MAX = 80;
// Length is what makes a password hard to guess; composition rules mostly make it hard to remember.
export const PASSWORD_MIN = 10;
const PASSWORD_MAX = 200;

export interface ServiceForm extends WrapUpFields {
  id: string;
  name: string;
  autoDial: boolean;
  smsNumber: string;
  recordCalls: boolean;
  // As typed; blank keeps the service's value (a new service: the default).
  serviceLevelSeconds?: string;
  // Closure (wrap-up.ts, canned-responses.ts): as typed, one per line; absent keeps the service's value.
  cannedResponses?: string;
  // The record as the edit form showed it (Administration's serviceVersion): absent, not checked.
  version?: string;
}

export interface AgentForm {
  username: string;
  displayName: string;
  role: string;
  serviceIds: string[];
  // As ServiceForm's (agentVersion).
  version?: string;
}

export function passwordProblem(password: string): string | null {
  if (password.length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters: a longer password is much harder to guess.`;
  if (password.length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  return null;
}

function nameProblem(name: string, what: string): string | null {
  if (name.trim() === '') return `${what} cannot be empty.`;
  if (name.length > NAME_MAX) return `${what} is too long (at most ${NAME_MAX} characters).`;
  return null;
}

// The service as it will be saved, or a FormError naming each bad field. `editing` is the stored
// service being edited (its id does not change), absent when adding.
export function checkService(form: ServiceForm, others: readonly Service[], editing?: Service): Service {
  const bad: Record<string, string> = {};
  const taken: Record<string, string> = {};
  const id = editing ? editing.id : form.id.trim();
  if (!editing) {
    if (!SERVICE_ID.test(id)) bad.id = 'Use 2 to 40 lowercase letters, digits, "-" or "_" (it appears in web addresses), starting with a letter or digit.';
    else if (others.some((s) => s.id === id)) taken.id = `A service with the id "${id}" already exists.`;
  }
  const nameIssue = nameProblem(form.name, 'Name');
  if (nameIssue) bad.name = nameIssue;
  const smsNumber = form.smsNumber.trim();
  if (smsNumber && !E164.test(smsNumber)) bad.smsNumber = 'Enter an E.164 number such as +15550009000, or leave it empty.';
  else if (smsNumber) {
    const holder = others.find((s) => s.id !== id && s.smsNumber === smsNumber);
    if (holder) taken.smsNumber = `${smsNumber} is already the SMS number of ${holder.name}.`;
  }
  const target = serviceLevelTarget(form.serviceLevelSeconds ?? '', editing?.serviceLevelSeconds);
  if (typeof target === 'string') bad.serviceLevelSeconds = target;
  const wrapUp = checkWrapUpSettings(form, wrapUpSettings(editing));
  Object.assign(bad, wrapUp.problems);
  const canned = form.cannedResponses === undefined ? (editing?.cannedResponses ?? []) : checkCannedResponses(form.cannedResponses);
  if (typeof canned === 'string') bad.cannedResponses = canned;
  if (Object.keys(bad).length > 0) throw new FormError({ ...taken, ...bad });
  if (Object.keys(taken).length > 0) throw new FormError(taken, 'conflict');
  const serviceLevelSeconds = target as number;
  const closure = { ...wrapUp.settings, dispositionCodes: [...wrapUp.settings.dispositionCodes], cannedResponses: canned as string[] };
  return { id, name: form.name.trim(), autoDial: form.autoDial, smsNumber: smsNumber || null, recordCalls: form.recordCalls, serviceLevelSeconds, ...closure, disabled: editing?.disabled ?? false };
}

const SERVICE_LEVEL_MAX = 3600;

// The seconds, or what is wrong with them.
function serviceLevelTarget(typed: string, current: number | undefined): number | string {
  const value = typed.trim();
  if (value === '') return current ?? DEFAULT_SERVICE_LEVEL_SECONDS;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > SERVICE_LEVEL_MAX) return `Enter a whole number of seconds from 1 to ${SERVICE_LEVEL_MAX}.`;
  return Number(value);
}

// An agent's name, role and services as they will be saved (the password is handled apart).
export function checkAgent(form: AgentForm, agents: readonly Agent[], services: readonly Service[], editing?: Agent): Omit<Agent, 'passwordHash'> {
  const bad: Record<string, string> = {};
  const taken: Record<string, string> = {};
  const id = editing ? editing.id : form.username.trim();
  if (!editing) {
    if (!USERNAME.test(id) || id.endsWith('-desk')) {
      bad.username = 'Use 2 to 32 lowercase letters, digits, ".", "-" or "_", starting with a letter or digit (not ending in "-desk": that names desk phones).';
    } else if (RESERVED_USERNAMES.has(id)) bad.username = `"${id}" names one of the telephony's own SIP objects: choose another username.`;
    else if (agents.some((a) => a.id === id)) taken.username = `The username "${id}" is already taken.`;
  }
  const nameIssue = nameProblem(form.displayName, 'Display name');
  if (nameIssue) bad.displayName = nameIssue;
  const role = AGENT_ROLES.find((r) => r === form.role);
  if (!role) bad.role = 'Choose Agent, Supervisor or Admin.';
  const unknown = form.serviceIds.filter((s) => !services.some((known) => known.id === s));
  if (unknown.length > 0) bad.serviceIds = `No such service: ${unknown.join(', ')}.`;
  if (Object.keys(bad).length > 0) throw new FormError({ ...taken, ...bad });
  if (Object.keys(taken).length > 0) throw new FormError(taken, 'conflict');
  return { id, displayName: form.displayName.trim(), role: role as AgentRole, serviceIds: [...new Set(form.serviceIds)], disabled: editing?.disabled ?? false };
}

const isActiveAdmin = (a: Pick<Agent, 'role' | 'disabled'>) => a.role === 'admin' && !a.disabled;

// Refuses a change that would leave no enabled admin: nobody could manage the center any more.
export function assertAdminRemains(agents: readonly Agent[], changed: Pick<Agent, 'id' | 'role' | 'disabled'>): void {
  const before = agents.find((a) => a.id === changed.id);
  if (!before || !isActiveAdmin(before) || isActiveAdmin(changed)) return;
  if (!agents.some((a) => a.id !== changed.id && isActiveAdmin(a))) {
    throw conflict('last_admin', `${before.displayName} is the last admin: make another agent an admin first.`);
  }
}

// How many enabled agents serve each service (any role with the service takes its chats).
export function agentsServing(services: readonly Service[], agents: readonly Agent[]): Map<string, number> {
  const counts = new Map(services.map((s) => [s.id, 0]));
  for (const agent of agents) if (!agent.disabled) for (const id of agent.serviceIds) if (counts.has(id)) counts.set(id, counts.get(id)! + 1);
  return counts;
}

// Enabled services no enabled agent serves: their customers can start chats that nobody will take.
export function unstaffedServices(services: readonly Service[], agents: readonly Agent[]): Service[] {
  const counts = agentsServing(services, agents);
  return services.filter((s) => !s.disabled && counts.get(s.id) === 0);
}

import type { Logger } from 'pino';
import type { Directory } from './domain/ports.ts';
import { hashPassword, WELL_KNOWN_PASSWORD } from './web/passwords.ts';

// On first start (no services yet) the product gets two services and two agents to try it with;
// agent1 is also the telephony admin. supervisor1 watches the floor (/supervisor): it serves no
// service, so routing never offers it a chat.
export async function seedDemoData(directory: Directory, password: string | undefined, logger: Logger): Promise<void> {
  if ((await directory.listServices()).length > 0) return;
  // Codes and canned responses to try wrap-up with; no wrap-up time (admins set one on /admin/services).
  const closure = {
    dispositionCodes: ['Resolved', 'Follow-up needed', 'Not resolved'],
    cannedResponses: ['Hello {customer_name}, this is {agent_name}. How can I help?', 'Thank you {customer_name}, is there anything else I can do for you?'],
  };
  await directory.saveService({ id: 'roadside', name: 'Roadside Assistance', autoDial: false, ...closure });
  await directory.saveService({ id: 'claims', name: 'Claims', autoDial: true, ...closure });
  const secret = password ?? WELL_KNOWN_PASSWORD;
  const passwordHash = await hashPassword(secret);
  for (const [id, displayName, role, serviceIds] of [
    ['agent1', 'Agent One', 'admin', ['roadside', 'claims']],
    ['agent2', 'Agent Two', 'agent', ['roadside', 'claims']],
    ['supervisor1', 'Supervisor One', 'supervisor', []],
  ] as const) {
    await directory.saveAgent({ id, displayName, passwordHash, serviceIds: [...serviceIds], role });
  }
  const warning = password
    ? 'demo agents agent1, agent2 and supervisor1 created with the password from DEMO_AGENT_PASSWORD'
    : 'demo agents agent1, agent2 and supervisor1 created with the password "demo", which logs in from this machine only: set DEMO_AGENT_PASSWORD before the first start to log in from others';
  logger.warn({ agents: ['agent1', 'agent2', 'supervisor1'], services: ['roadside', 'claims'] }, warning);
}

// SMS numbers are set on /admin/services. SMS_NUMBERS only seeds them: while no service has an SMS
// number yet and no admin has changed anything (the audit trail is empty: a first start), each of its
// numbers goes to its service, when that service exists. A number an admin removed stays removed.
export async function seedSmsNumbers(directory: Directory, numbers: Readonly<Record<string, string>>, logger: Logger): Promise<void> {
  const services = await directory.listServices();
  if (services.some((s) => s.smsNumber) || (await directory.listAudit(1)).length > 0) return;
  for (const [number, serviceId] of Object.entries(numbers)) {
    const service = services.find((s) => s.id === serviceId && !s.smsNumber);
    if (!service) continue;
    service.smsNumber = number;
    await directory.saveService(service);
    logger.info({ serviceId, number }, 'SMS number from SMS_NUMBERS given to its service');
  }
}

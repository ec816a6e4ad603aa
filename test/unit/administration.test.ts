import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { agentsServing, assertAdminRemains, checkAgent, checkService, passwordProblem, unstaffedServices } from '../../src/domain/admin-rules.ts';
import { Administration, type AdminHooks } from '../../src/domain/administration.ts';
import type { Agent } from '../../src/domain/directory.ts';
import { FormError } from '../../src/domain/errors.ts';
import { MemoryDirectory } from '../helpers/fake-ports.ts';
import { activeChat, AGENTS, expectDomainError, makeCenter, SERVICES, startChat, type Harness } from '../helpers/fakes.ts';

const form = { id: 'towing', name: 'Towing', autoDial: false, smsNumber: '', recordCalls: false };

function fieldsOf(t: Test, action: () => unknown): Record<string, string> {
  try {
    action();
  } catch (err) {
    if (err instanceof FormError) return { ...err.fields };
    throw err;
  }
  t.fail('expected a FormError');
  return {};
}

t.test('a service: URL-safe unique id, a name, an E.164 SMS number no other service has', async (t) => {
  const others = [{ ...SERVICES[0]!, smsNumber: '+15550009000' }, SERVICES[1]!];
  t.match(checkService(form, others), { id: 'towing', name: 'Towing', smsNumber: null, disabled: false });
  t.match(fieldsOf(t, () => checkService({ ...form, id: 'Tow ing/1' }, others)), { id: /lowercase letters/ });
  t.match(fieldsOf(t, () => checkService({ ...form, id: 'roadside' }, others)), { id: /already exists/ });
  t.match(fieldsOf(t, () => checkService({ ...form, name: '  ' }, others)), { name: /cannot be empty/ });
  t.match(fieldsOf(t, () => checkService({ ...form, smsNumber: '0555 1234' }, others)), { smsNumber: /E\.164/ });
  t.match(fieldsOf(t, () => checkService({ ...form, smsNumber: '+15550009000' }, others)), { smsNumber: /already the SMS number of Roadside/ });
  t.equal(checkService({ ...form, smsNumber: '+15550009000' }, others, others[0]).smsNumber, '+15550009000', 'a service keeps its own number when edited');
  t.equal(checkService({ ...form, id: 'ignored' }, others, others[1]).id, 'billing', 'an edit never changes the id');
});

t.test("a service's service level target: whole seconds from 1 to 3600; blank keeps it (20 s when new)", async (t) => {
  t.equal(checkService(form, SERVICES).serviceLevelSeconds, 20, 'a new service without one: 20 s');
  t.equal(checkService({ ...form, serviceLevelSeconds: ' 45 ' }, SERVICES).serviceLevelSeconds, 45);
  t.equal(checkService({ ...form, serviceLevelSeconds: '' }, SERVICES, { ...SERVICES[1]!, serviceLevelSeconds: 90 }).serviceLevelSeconds, 90, 'blank on an edit: unchanged');
  for (const bad of ['0', '3601', '12.5', '-3', 'soon']) {
    t.match(fieldsOf(t, () => checkService({ ...form, serviceLevelSeconds: bad }, SERVICES)), { serviceLevelSeconds: /whole number of seconds from 1 to 3600/ }, `"${bad}" refused`);
  }
});

t.test('an agent: a free username that can name SIP endpoints, a display name, a known role and services', async (t) => {
  const input = { username: 'dave', displayName: 'Dave', role: 'supervisor', serviceIds: ['billing'] };
  t.match(checkAgent(input, AGENTS, SERVICES), { id: 'dave', role: 'supervisor', serviceIds: ['billing'] });
  t.match(fieldsOf(t, () => checkAgent({ ...input, username: 'alice' }, AGENTS, SERVICES)), { username: /already taken/ });
  t.match(fieldsOf(t, () => checkAgent({ ...input, username: 'da ve' }, AGENTS, SERVICES)), { username: /lowercase/ });
  t.match(fieldsOf(t, () => checkAgent({ ...input, username: 'alice-desk' }, AGENTS, SERVICES)), { username: /desk/ });
  // Every PJSIP object of the shipped configuration: an agent's endpoint over one would stop the telephony.
  const sections = [...readFileSync(new URL('../../asterisk-config/pjsip.conf', import.meta.url), 'utf8').matchAll(/^\[([^\]]+)\]/gm)].map((m) => m[1]!);
  t.ok(sections.includes('trunk'), 'the configuration is read');
  for (const name of sections) t.match(fieldsOf(t, () => checkAgent({ ...input, username: name }, AGENTS, SERVICES)), { username: /telephony's own/ }, `"${name}" is refused`);
  t.match(fieldsOf(t, () => checkAgent({ ...input, role: 'root' }, AGENTS, SERVICES)), { role: /Agent, Supervisor or Admin/ });
  t.match(fieldsOf(t, () => checkAgent({ ...input, displayName: '' }, AGENTS, SERVICES)), { displayName: /empty/ });
  t.match(fieldsOf(t, () => checkAgent({ ...input, serviceIds: ['nope'] }, AGENTS, SERVICES)), { serviceIds: /nope/ });
});

t.test('a service is staffed by its enabled agents of any role; a disabled service needs none', async (t) => {
  const agents: Agent[] = [
    { id: 'a', displayName: 'A', role: 'agent', serviceIds: ['roadside'], passwordHash: '' },
    { id: 's', displayName: 'S', role: 'supervisor', serviceIds: ['roadside', 'billing'], passwordHash: '', disabled: true },
  ];
  t.same([...agentsServing(SERVICES, agents)], [['roadside', 1], ['billing', 0]], 'a disabled agent serves nothing');
  t.same(unstaffedServices(SERVICES, agents).map((s) => s.id), ['billing']);
  t.same(unstaffedServices(SERVICES.map((s) => ({ ...s, disabled: s.id === 'billing' })), agents), [], 'billing disabled: nothing to warn of');
});

t.test('passwords: a length floor, and the reason is said', async (t) => {
  t.match(passwordProblem('short'), /at least 10 characters/);
  t.equal(passwordProblem('long enough pass'), null);
});

t.test('the last enabled admin can be neither disabled nor demoted', async (t) => {
  const boss: Agent = { id: 'boss', displayName: 'Boss', passwordHash: 'x', serviceIds: [], role: 'admin' };
  const agents = [...AGENTS, boss];
  t.throws(() => assertAdminRemains(agents, { ...boss, disabled: true }), { code: 'last_admin' });
  t.throws(() => assertAdminRemains(agents, { ...boss, role: 'agent' }), { code: 'last_admin' });
  t.doesNotThrow(() => assertAdminRemains([...agents, { ...boss, id: 'boss2' }], { ...boss, disabled: true }), 'with another admin it may');
  t.doesNotThrow(() => assertAdminRemains(agents, { ...AGENTS[0]!, disabled: true }), 'agents are not admins');
});

// An Administration on the harness's directory, its hooks wired to the center as main.ts wires them.
function administration(h: Harness, seen: string[] = []): Administration {
  const hooks: AdminHooks = {
    agentChanged: async (agent, change) => {
      seen.push(`${agent.id}:${change}`);
      await h.center.agentChanged(agent);
    },
    servicesChanged: async () => undefined,
  };
  return new Administration({ directory: h.directory, clock: h.clock, passwords: { hash: async (p) => `hashed:${p}`, verify: async (p, hash) => hash === `hashed:${p}` }, hooks });
}

t.test('an agent is offered only chats of the services it serves; an edit counts at once', async (t) => {
  const h = await makeCenter();
  const admin = administration(h);
  h.center.setPresence('alice', 'make_ready'); // roadside
  h.center.setPresence('carol', 'make_ready'); // billing
  const { interaction } = await startChat(h, { serviceId: 'billing' });
  t.equal(interaction.offeredTo, 'carol', 'the billing agent, not the roadside one');
  await h.center.setPresence('carol', 'make_not_ready');
  await admin.updateAgent('boss', 'alice', { displayName: 'Alice', role: 'agent', serviceIds: ['roadside', 'billing'] });
  t.equal(interaction.state, 'offered');
  const second = await startChat(h, { serviceId: 'billing' });
  t.ok([interaction.offeredTo, second.interaction.offeredTo].includes('alice'), 'alice now serves billing too and gets an offer');
});

t.test('a chat ringing for an agent the admin takes off its service goes to one who serves it', async (t) => {
  const h = await makeCenter();
  const admin = administration(h);
  h.center.setPresence('alice', 'make_ready'); // roadside
  const { interaction } = await startChat(h, { serviceId: 'roadside' });
  t.equal(interaction.offeredTo, 'alice');
  h.center.setPresence('bob', 'make_ready');
  await admin.updateAgent('boss', 'alice', { displayName: 'Alice', role: 'agent', serviceIds: ['billing'] });
  t.equal(interaction.offeredTo, 'bob', 'offered to the other roadside agent at once');
  await expectDomainError(t, h.center.accept('alice', interaction.id), 'forbidden', 'not_offered_to_you');
  const entries = await h.center.timeline(interaction.id);
  t.match(entries.find((e) => e.kind === 'requeued'), { agentId: 'alice', data: { reason: 'service_removed' } }, 'the timeline says why');
  t.equal(h.center.agentState('alice').presence, 'ready', 'Alice stays Ready, for billing');
});

t.test("a login that read the agent before an admin's edit does not put back what the edit changed", async (t) => {
  const h = await makeCenter();
  const admin = administration(h);
  const readAtLogin = (await h.directory.getAgent('alice'))!; // roadside
  await admin.updateAgent('boss', 'alice', { displayName: 'Alice', role: 'agent', serviceIds: ['billing'] });
  await h.center.agentChanged(readAtLogin); // the login goes on with what it read (web/auth.ts)
  t.same(h.center.agentState('alice').serviceIds, ['billing'], 'routing has the edit');
  h.center.setPresence('alice', 'make_ready');
  const roadside = await startChat(h, { serviceId: 'roadside' });
  const billing = await startChat(h, { serviceId: 'billing' });
  t.equal(roadside.interaction.offeredTo, null, 'a roadside chat is not offered to her');
  t.equal(billing.interaction.offeredTo, 'alice', 'a billing chat is');
});

t.test('disabling an agent: its chat goes back to the queue with a timeline entry, and reaches another agent', async (t) => {
  const h = await makeCenter();
  const seen: string[] = [];
  const admin = administration(h, seen);
  const { interaction } = await activeChat(h, 'alice');
  h.center.setPresence('bob', 'make_ready');
  await admin.setAgentDisabled('boss', 'alice', true);
  t.same(seen, ['alice:disabled']);
  t.equal(h.center.agentState('alice').presence, 'not_ready');
  t.equal(interaction.offeredTo, 'bob', 'offered to the other roadside agent');
  const entries = await h.center.timeline(interaction.id);
  t.match(entries.find((e) => e.kind === 'requeued'), { author: 'system', agentId: 'alice' }, 'the timeline says why');
  await expectDomainError(t, h.center.postAgentMessage('alice', interaction.id, 'still here?'), 'forbidden', 'not_your_chat');
  h.center.setPresence('alice', 'make_ready');
  await startChat(h);
  t.equal(h.center.openInteractionsOf('alice').length, 0, 'a disabled agent is offered nothing');
  t.match(h.directory.auditLog.at(-1), { actor: 'boss', action: 'agent.disabled', targetId: 'alice', before: { disabled: false }, after: { disabled: true } });
  // Disable again (a second admin, a double click): the trail does not say it was disabled twice, and
  // what disabling does is applied again (the first may have stopped half way).
  const trail = h.directory.auditLog.length;
  await admin.setAgentDisabled('boss', 'alice', true);
  t.equal(h.directory.auditLog.length, trail, 'no second audit entry');
  t.same(seen, ['alice:disabled', 'alice:disabled'], 'applied again');
});

t.test('a disabled service takes no new chat', async (t) => {
  const h = await makeCenter();
  const admin = administration(h);
  await admin.setServiceDisabled('boss', 'roadside', true);
  await expectDomainError(t, h.center.startChat({ serviceId: 'roadside', channel: 'web', customer: { name: 'A', phone: '+15551239999' } }), 'conflict', 'service_disabled');
  const trail = h.directory.auditLog.length;
  await admin.setServiceDisabled('boss', 'roadside', true);
  t.equal(h.directory.auditLog.length, trail, 'disabled again: no second audit entry');
  await admin.setServiceDisabled('boss', 'billing', false);
  t.equal(h.directory.auditLog.length, trail, 'an enabled service enabled: none either');
});

t.test('passwords: generated when blank, never in the audit trail; an own change needs the current one', async (t) => {
  const h = await makeCenter();
  const admin = administration(h);
  const { agent, generatedPassword } = await admin.createAgent('boss', { username: 'erin', displayName: 'Erin', role: 'agent', serviceIds: ['roadside'], password: '' });
  t.ok(generatedPassword && generatedPassword.length >= 16, 'a long generated password');
  t.equal(agent.passwordHash, `hashed:${generatedPassword}`);
  await t.rejects(admin.createAgent('boss', { username: 'fay', displayName: 'Fay', role: 'agent', serviceIds: [], password: 'short' }), { message: /10 characters/ });
  t.equal(await h.directory.getAgent('fay'), undefined, 'a refused agent is not created');
  await t.rejects(admin.changeOwnPassword('erin', 'wrong password', 'a brand new secret'), { message: /not your current password/ });
  await admin.changeOwnPassword('erin', generatedPassword!, 'a brand new secret');
  t.equal((await h.directory.getAgent('erin'))?.passwordHash, 'hashed:a brand new secret');
  const trail = JSON.stringify(h.directory.auditLog);
  t.notMatch(trail, generatedPassword!, 'no password in the audit trail');
  t.notMatch(trail, 'a brand new secret');
  t.notMatch(trail, 'hashed:');
});

// Admin changes run one at a time (every node forwards them to the leader): each is checked against
// what the one before it saved.
t.test('two admin changes at once: the second is checked against the first', async (t) => {
  const admins: Agent[] = [
    { id: 'ann', displayName: 'Ann', role: 'admin', serviceIds: [], passwordHash: 'x' },
    { id: 'bob', displayName: 'Bob', role: 'admin', serviceIds: [], passwordHash: 'x' },
  ];
  const setUp = () => {
    const directory = new MemoryDirectory(SERVICES, admins.map((a) => ({ ...a })));
    const admin = new Administration({ directory, clock: { now: () => 0 }, passwords: { hash: async (p) => `hashed:${p}`, verify: async () => true }, hooks: { agentChanged: async () => undefined, servicesChanged: async () => undefined } });
    const enabledAdmins = async () => (await directory.listAgents()).filter((a) => a.role === 'admin' && !a.disabled).map((a) => a.id);
    return { directory, admin, enabledAdmins };
  };

  const crossed = setUp();
  const disabled = await Promise.allSettled([crossed.admin.setAgentDisabled('ann', 'bob', true), crossed.admin.setAgentDisabled('bob', 'ann', true)]);
  t.same(disabled.map((r) => r.status), ['fulfilled', 'rejected'], 'ann disables bob; bob, disabled meanwhile, cannot leave no admin');
  t.same(await crossed.enabledAdmins(), ['ann'], 'an admin remains');

  const demoted = setUp();
  await Promise.allSettled([demoted.admin.updateAgent('ann', 'ann', { displayName: 'Ann', role: 'agent', serviceIds: [] }), demoted.admin.updateAgent('bob', 'bob', { displayName: 'Bob', role: 'agent', serviceIds: [] })]);
  t.equal((await demoted.enabledAdmins()).length, 1, 'both demoting themselves at once: one admin remains');

  const twice = setUp();
  const created = await Promise.allSettled([
    twice.admin.createAgent('ann', { username: 'carl', displayName: 'Carl A', role: 'agent', serviceIds: [], password: 'first password 1' }),
    twice.admin.createAgent('bob', { username: 'carl', displayName: 'Carl B', role: 'admin', serviceIds: [], password: 'second password 2' }),
  ]);
  t.same(created.map((r) => r.status), ['fulfilled', 'rejected'], 'the same username added twice at once: the second is refused');
  t.match((created[1] as PromiseRejectedResult).reason, FormError, 'next to the username field');
  t.match(await twice.directory.getAgent('carl'), { displayName: 'Carl A', role: 'agent', passwordHash: 'hashed:first password 1' }, 'the first is kept as it was made');
  t.equal(twice.directory.auditLog.filter((e) => e.action === 'agent.created').length, 1, 'one agent.created on the audit trail');
});

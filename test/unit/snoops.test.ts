// The supervisor's channels in Asterisk (src/ari/calls/snoops.ts) against an in-memory ARI: work queued
// behind a Stop (a mode change, the phone's answer) leaves nothing up, and a mode change that fails
// half-way hangs up the snoop it made.
import t from 'tap';
import { reconcileSupervisions } from '../../src/ari/calls/reconcile-snoops.ts';
import { AriSnoops } from '../../src/ari/calls/snoops.ts';
import type { CallLeg } from '../../src/domain/call-leg.ts';
import type { Supervision } from '../../src/domain/supervision.ts';
import { SupervisionDesk } from '../../src/domain/supervision-desk.ts';
import { FakeAri } from '../helpers/fake-ari.ts';
import { FakeTelephony } from '../helpers/fake-media.ts';
import { activeChat, AGENTS, expectDomainError, makeCenter } from '../helpers/fakes.ts';

// Queued ARI work and the snoops' entry into the Stasis app take a few turns of the event loop.
const settled = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

async function supervisorRung() {
  const ari = new FakeAri();
  const reports: string[] = [];
  const errors: unknown[] = [];
  const snoops = new AriSnoops({ ari: ari.current, app: 'cc', phoneOf: async () => 'PJSIP/sam', onError: (err) => void errors.push(err), agentChannelOf: () => 'cc-leg1-agent' });
  ari.onEvent = (event) => void snoops.handle(event);
  snoops.reportTo(async (_interactionId, supervisionId, event) => void reports.push(`${supervisionId} ${event}`));
  await snoops.join({ supervisionId: 's1', legId: 'leg1', interactionId: 'i1', supervisorId: 'sam' });
  return { ari, snoops, reports, errors };
}

async function supervisorListening() {
  const scene = await supervisorRung();
  scene.ari.enter('sv-s1-phone');
  await settled();
  return scene;
}

t.test('Whisper queued behind Stop: the supervisor is off the call, no snoop is made, and the mode change answers nothing', async (t) => {
  const { ari, snoops, reports } = await supervisorListening();
  t.same(reports, ['s1 answered']);
  t.equal(ari.supervisorChannels().length, 2, 'the phone and its snoop');
  const stop = snoops.leave('s1');
  const whisper = snoops.setMode('s1', 'whisper');
  await stop;
  await t.resolves(whisper, 'no ARI error ("bridge not found") reaches the page: the rules refuse it with their own reason');
  await settled();
  t.same(ari.supervisorChannels(), [], 'no supervisor channel left in Asterisk');
  t.equal(ari.log.filter((l) => l.startsWith('snoop ')).length, 1, 'no second snoop was made');
});

t.test("the phone's answer acted on after Stop: no snoop is made for a supervisor who left", async (t) => {
  const { ari, snoops, reports } = await supervisorRung();
  const stop = snoops.leave('s1');
  ari.enter('sv-s1-phone');
  await stop;
  await settled();
  t.same(ari.supervisorChannels(), [], 'no supervisor channel left in Asterisk');
  t.notOk(ari.log.some((l) => l.startsWith('snoop')), 'no snoop on the agent');
  t.same(reports, [], 'nothing reported for a supervisor who left');
});

t.test('a mode change that fails once its snoop is made hangs that snoop up, and says why', async (t) => {
  const { ari, snoops } = await supervisorListening();
  const listening = ari.supervisorChannels().find((c) => c.includes('-snoop-'))!;
  ari.bridges.delete('sv-s1'); // the supervisor's bridge went (Asterisk removed it)
  await t.rejects(snoops.setMode('s1', 'whisper'), { message: /Bridge not found/ });
  const whisperSnoop = ari.log.filter((l) => l.startsWith('snoop ')).at(-1)!.slice('snoop '.length);
  t.not(whisperSnoop, listening);
  t.notOk(ari.channels.has(whisperSnoop), 'the new snoop is hung up');
  t.ok(ari.channels.has(listening), 'the supervisor keeps what they had');
  t.equal(snoops.supervisions.get('s1')?.mode, 'listen');
});

t.test('Stop and Whisper pressed together on Monitor: Whisper is refused with the rules’ reason, not an ARI error', async (t) => {
  const h = await makeCenter({ telephony: new FakeTelephony(), agents: [...AGENTS, { id: 'sam', displayName: 'Sam', passwordHash: 'x', serviceIds: [], role: 'supervisor' as const }] });
  const ari = new FakeAri();
  const snoops = new AriSnoops({ ari: ari.current, app: 'cc', phoneOf: async () => 'PJSIP/sam', onError: (err) => t.fail(String(err)), agentChannelOf: () => 'cc-leg1-agent' });
  const desk = new SupervisionDesk({ interactions: h.interactions, telephony: snoops, directory: h.directory, clock: h.clock, capabilities: h.desk.capabilities });
  ari.onEvent = (event) => void snoops.handle(event);
  snoops.reportTo((interactionId, supervisionId, event, cause) => desk.onSupervisionEvent(interactionId, supervisionId, event, cause));
  const { interaction } = await activeChat(h, 'alice');
  const leg = await h.desk.callCustomer('alice', interaction.id);
  await h.desk.onCallEvent(interaction.id, leg.id, 'agent_answered');
  await h.desk.onCallEvent(interaction.id, leg.id, 'customer_answered');
  const joined = await desk.listen('sam', interaction.id);
  ari.enter(`sv-${joined.id}-phone`);
  await settled();
  t.equal(joined.state, 'listening');
  const stop = desk.stop('sam', interaction.id);
  const whisper = desk.whisper('sam', interaction.id);
  whisper.catch(() => undefined); // looked at below, once Stop is done
  await stop;
  await expectDomainError(t, whisper, 'conflict', 'supervision_ended', 'Whisper after Stop');
  t.same(ari.supervisorChannels(), [], 'no supervisor channel left in Asterisk');
});

t.test('Asterisk slow to answer the snoop request: the wait for the snoop runs out, the supervisor is told, and the controller lives on', async (t) => {
  const ari = new FakeAri();
  const errors: unknown[] = [];
  const api = ari.current() as unknown as { channels: { snoopChannelWithId(p: unknown): Promise<unknown> } };
  const snoopChannel = api.channels.snoopChannelWithId.bind(api.channels);
  api.channels.snoopChannelWithId = async (p) => (await new Promise((resolve) => setTimeout(resolve, 300)), snoopChannel(p));
  const snoops = new AriSnoops({ ari: ari.current, app: 'cc', phoneOf: async () => 'PJSIP/sam', onError: (err) => void errors.push(err), agentChannelOf: () => 'cc-leg1-agent', snoopWaitMs: 50 });
  ari.onEvent = (event) => void snoops.handle(event);
  const reports: string[] = [];
  snoops.reportTo(async (_interactionId, supervisionId, event) => void reports.push(`${supervisionId} ${event}`));
  await snoops.join({ supervisionId: 's1', legId: 'leg1', interactionId: 'i1', supervisorId: 'sam' });
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => void process.off('unhandledRejection', onUnhandled));
  ari.enter('sv-s1-phone');
  await new Promise((resolve) => setTimeout(resolve, 600));
  await settled();
  t.same(unhandled, [], 'no rejection left unhandled (Node ends the process on one)');
  t.ok(reports.some((r) => r.startsWith('s1 fail')) || errors.length > 0, `the failure is reported: ${JSON.stringify(reports)}`);
  t.same(ari.supervisorChannels().filter((id) => !id.endsWith('-phone')), [], 'no snoop left listening on the agent');
});

t.test('a supervisor stopped while a reconnect reconciles is not taken back: the phone is hung up', async (t) => {
  const ari = new FakeAri();
  const snoops = new AriSnoops({ ari: ari.current, app: 'cc', phoneOf: async () => 'PJSIP/sam', onError: () => undefined, agentChannelOf: () => 'cc-leg1-agent' });
  // After a controller restart: the call and two supervisors' phones are up in Asterisk, none tracked.
  for (const id of ['cc-leg1-agent', 'cc-leg1-customer', 'sv-s2-phone']) ari.channels.add(id);
  const supervision = (id: string): Supervision => ({ id, supervisorId: 'sam', state: 'listening', startedAt: 0, answeredAt: 0, endedAt: null, cause: null });
  const first = supervision('s1'); // its phone is gone: reported ended, which takes a write
  const second = supervision('s2');
  const leg = { id: 'leg1', interactionId: 'i1', state: 'connected', agentTurn: 0, supervisions: [first, second] } as unknown as CallLeg;
  await reconcileSupervisions({
    ari: ari.current(),
    legs: [leg],
    snoops,
    // While the first one's end is written, the second supervisor presses Stop (leaving needs no Asterisk).
    onEvent: async () => void (second.state = 'ended'),
  });
  t.notOk(snoops.supervisions.has('s2'), 'the stopped supervisor is not taken back');
  t.notOk(ari.channels.has('sv-s2-phone'), 'its phone is hung up');
});

t.test("the call ends while the supervisor's phone is looked up: the supervisor is not rung", async (t) => {
  const ari = new FakeAri();
  let callUp = true;
  let phoneFound!: () => void;
  const lookedUp = new Promise<void>((resolve) => (phoneFound = resolve));
  const snoops = new AriSnoops({
    ari: ari.current,
    app: 'cc',
    phoneOf: async () => (await lookedUp, 'PJSIP/sam'),
    onError: () => undefined,
    agentChannelOf: () => (callUp ? 'cc-leg1-agent' : undefined),
  });
  const joining = snoops.join({ supervisionId: 's1', legId: 'leg1', interactionId: 'i1', supervisorId: 'sam' });
  await settled();
  callUp = false; // the call leg was torn down: Asterisk's call legs no longer know it
  snoops.callEnded('leg1');
  phoneFound();
  await t.rejects(joining, /the call has ended/, 'Listen fails, saying why');
  t.same(ari.supervisorChannels(), [], "the supervisor's phone was never rung");
});

// A supervised call while ARI is away (Asterisk restarting, the link down): Release and Stop still go
// through and the supervisor is taken off the call, and once ARI is back reconciliation removes what
// was left in Asterisk. The call adapters (src/ari/calls) run against an in-memory ARI, the rules are real.
// test/e2e/ari-away.test.ts plays Release and Stop with a real Asterisk; this file keeps what that
// cannot show on cue (what is logged, the exact count of strays, a leader finding a call ended).
import t from 'tap';
import { AriCallLegs } from '../../src/ari/calls/call-legs.ts';
import { reconcileCalls } from '../../src/ari/calls/reconcile.ts';
import { reconcileSupervisions } from '../../src/ari/calls/reconcile-snoops.ts';
import { AriSnoops } from '../../src/ari/calls/snoops.ts';
import type { EndpointStates } from '../../src/ari/endpoints/endpoint-states.ts';
import { isLive } from '../../src/domain/call-leg.ts';
import { SupervisionDesk } from '../../src/domain/supervision-desk.ts';
import { FakeAri } from '../helpers/fake-ari.ts';
import { activeChat, AGENTS, makeCenter } from '../helpers/fakes.ts';

const PEOPLE = [...AGENTS, { id: 'sam', displayName: 'Sam Supervisor', passwordHash: 'x', serviceIds: [], role: 'supervisor' as const }];

// Queued ARI work and the rules' writes take a few turns of the event loop.
const settled = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

async function supervisedCall() {
  const ari = new FakeAri();
  const failures: string[] = [];
  const onError = (_err: unknown, what: string) => void failures.push(what);
  const snoops = new AriSnoops({ ari: ari.current, app: 'cc', phoneOf: async () => 'PJSIP/sam', onError });
  const endpointStates = { firstOnline: async () => 'alice', forget: () => undefined } as unknown as EndpointStates;
  const legs = new AriCallLegs({ ari: ari.current, app: 'cc', agentEndpoints: () => ['alice'], endpointStates, customerEndpoint: (n) => `PJSIP/${n}@trunk`, onError, legEnded: (legId) => snoops.callEnded(legId) });
  const h = await makeCenter({ agents: PEOPLE, telephony: legs });
  const desk = new SupervisionDesk({ interactions: h.interactions, telephony: snoops, directory: h.directory, clock: h.clock, capabilities: h.desk.capabilities });
  const onCallEvent = h.desk.onCallEvent.bind(h.desk);
  const onSupervisionEvent = desk.onSupervisionEvent.bind(desk);
  snoops.reportTo(onSupervisionEvent);
  ari.onEvent = (event) => void (snoops.handle(event) || legs.handle(event, onCallEvent));
  const { interaction } = await activeChat(h, 'alice');
  const id = interaction.id;
  const leg = await h.desk.callCustomer('alice', id);
  ari.enter(`cc-${leg.id}-agent`);
  await settled();
  ari.enter(`cc-${leg.id}-customer`);
  await settled();
  const supervision = await desk.listen('sam', id);
  ari.enter(`sv-${supervision.id}-phone`);
  await settled();
  // Asterisk is still there, carrying the call; the controller cannot reach it.
  const away = () => {
    ari.up = false;
    h.desk.telephonyChanged(false);
  };
  const back = async () => {
    ari.up = true;
    h.desk.telephonyChanged(true);
    const allLegs = h.interactions.all().flatMap((rec) => rec.callLegs);
    await reconcileCalls({ ari: ari.current(), liveLegs: allLegs.filter(isLive), callLegs: legs, onEvent: onCallEvent });
    return reconcileSupervisions({ ari: ari.current(), legs: allLegs, snoops, onEvent: onSupervisionEvent });
  };
  return { h, ari, desk, snoops, id, leg, supervision, failures, away, back };
}

t.test('the scene: a connected call with a supervisor listening', async (t) => {
  const { ari, leg, supervision } = await supervisedCall();
  t.equal(leg.state, 'connected');
  t.equal(supervision.state, 'listening');
  t.equal(ari.supervisorChannels().length, 2, 'the phone and its snoop');
});

t.test('Release while ARI is away: the call is released, its supervisor taken off it, and Asterisk cleaned once back', async (t) => {
  const { h, ari, id, leg, supervision, failures, away, back } = await supervisedCall();
  away();
  await t.resolves(h.desk.releaseCall('alice', id), 'Release goes through');
  await settled();
  t.equal(leg.state, 'released');
  t.match(supervision, { state: 'ended', cause: 'the call ended' }, 'Monitor shows the supervisor off the call');
  t.ok(failures.length > 0, 'what ARI could not remove is logged');
  await back();
  t.same([...ari.channels], [], 'no channel of the call or the supervisor left in Asterisk');
  t.same([...ari.bridges.keys()], [], 'nor a bridge');
});

t.test('Stop while ARI is away: the supervisor leaves, the call goes on, and their channels are removed once ARI is back', async (t) => {
  const { ari, desk, id, leg, supervision, away, back } = await supervisedCall();
  away();
  await t.resolves(desk.stop('sam', id), 'Stop goes through');
  t.match(supervision, { state: 'ended', cause: 'stopped by the supervisor' });
  t.equal(leg.state, 'connected', 'the call goes on');
  const result = await back();
  t.equal(result.strays, 3, "the phone, the snoop and the supervisor's bridge");
  t.same(ari.supervisorChannels(), []);
  t.equal(ari.channels.size, 2, "the agent's and the customer's phones stay up");
});

t.test('reconciliation ends a supervision whose call the rules hold ended, though Asterisk still has its channels', async (t) => {
  const { ari, snoops, leg, supervision, back } = await supervisedCall();
  // As a new leader finds it: the old one released the call and went before the supervisor was taken off.
  Object.assign(leg, { state: 'released', endedAt: 1 });
  snoops.forget(supervision.id);
  const result = await back();
  t.match([result.adopted, result.ended], [0, 1], 'not adopted: ended');
  t.match(supervision, { state: 'ended', cause: /out of touch with Asterisk/ });
  t.same(ari.supervisorChannels(), [], "the supervisor's phone and snoop are hung up");
});

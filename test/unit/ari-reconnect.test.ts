// The event stream opens before the connection is up again: after every (re)connect, what the phones
// do while the controller rebuilds (endpoints pushed, calls reconciled) is acted on once it is done,
// in order, and a phone of ours is never hung up as a stranger meanwhile. The connection and the call
// adapters run against an in-memory ARI (test/helpers/fake-ari.ts) whose event stream drops on cue.
import { pino } from 'pino';
import t from 'tap';
import { AriCallLegs } from '../../src/ari/calls/call-legs.ts';
import { reconcileCalls } from '../../src/ari/calls/reconcile.ts';
import { refuseStranger } from '../../src/ari/calls/strangers.ts';
import type { Ari, AriEvent } from '../../src/ari/client.ts';
import { AriConnection, MAX_EARLY_EVENTS } from '../../src/ari/connection.ts';
import type { EndpointStates } from '../../src/ari/endpoints/endpoint-states.ts';
import type { CallLeg } from '../../src/domain/call-leg.ts';
import { FakeAri } from '../helpers/fake-ari.ts';

// Queued ARI work takes a few turns of the event loop.
const settled = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

const REQUEST = { legId: 'L1', interactionId: 'I1', serviceId: 's', agentId: 'alice', customerNumber: '+15550001' };

// A controller on a fake Asterisk: its connection's rebuild after a reconnect runs until the test ends
// it; `rebuild` is what that rebuild does once let go (a restarted controller reconciles its calls).
// `rebuild` may leave work for once the connection is up (reconcile's answers to take up), as voice.ts runs it.
async function controller(opts: { rebuild?: (ari: Ari, legs: AriCallLegs) => Promise<void | Array<() => Promise<void>>> } = {}) {
  const ari = new FakeAri();
  const reports: string[] = [];
  const logs: Array<{ msg: string; dropped?: number }> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const endpointStates = { firstOnline: async () => 'alice', forget: () => undefined } as unknown as EndpointStates;
  const onEvent = async (_i: string, _l: string, event: string, cause?: string) => void reports.push(cause ? `${event} (${cause})` : event);
  let gate: Promise<void> = Promise.resolve();
  let later: Array<() => Promise<void>> = [];
  const connection = new AriConnection({
    url: 'http://asterisk.invalid',
    user: 'u',
    password: 'p',
    app: 'cc',
    logger,
    connect: async () => ari.current(),
    onConnected: async (client) => {
      await gate;
      later = (await opts.rebuild?.(client, legs)) ?? [];
    },
    onStateChange: (state) => {
      if (state === 'up') void (async () => { for (const takeUp of later.splice(0)) await takeUp(); })();
    },
    onEvent: (event, client) => {
      if (!legs.handle(event, onEvent)) refuseStranger(client, event, logger);
    },
  });
  const legs = new AriCallLegs({ ari: () => connection.current(), app: 'cc', agentEndpoints: () => ['alice'], endpointStates, customerEndpoint: (n) => `PJSIP/${n}@trunk`, onError: (err) => void reports.push(`error: ${(err as Error).message}`) });
  // Holds the next rebuild until the function returned is called.
  const holdRebuild = () => {
    let resolve = () => undefined as void;
    gate = new Promise<void>((done) => (resolve = done));
    return async () => {
      resolve();
      await settled();
    };
  };
  // The event stream drops and opens again; the rebuild is held.
  const reconnect = () => {
    const finish = holdRebuild();
    ari.signal('WebSocketReconnecting');
    ari.signal('WebSocketConnected');
    return finish;
  };
  return { ari, legs, connection, reports, logs, onEvent, holdRebuild, reconnect };
}

async function placed() {
  const scene = await controller();
  await scene.connection.start(1000);
  await scene.legs.placeCall(REQUEST);
  return scene;
}

async function connectedCall() {
  const scene = await placed();
  scene.ari.enter('cc-L1-agent');
  await settled();
  scene.ari.enter('cc-L1-customer');
  await settled();
  return scene;
}

t.test('the agent answers while the connection rebuilds: once it is up the customer is dialled, then bridged', async (t) => {
  const { ari, connection, reports, reconnect } = await placed();
  const finish = reconnect();
  ari.enter('cc-L1-agent');
  await settled();
  t.equal(connection.state, 'down', 'still rebuilding');
  await finish();
  t.equal(connection.state, 'up');
  t.ok(ari.channels.has('cc-L1-customer'), 'the customer is dialled');
  t.same(reports, ['agent_answered'], 'the desktop leaves "dialing agent"');
  ari.enter('cc-L1-customer');
  await settled();
  t.same([...ari.bridges.get('cc-leg-L1')!], ['cc-L1-agent', 'cc-L1-customer'], 'agent and customer talk');
  t.same(reports, ['agent_answered', 'customer_answered']);
});

t.test('the customer answers while the connection rebuilds: bridged with the agent once it is up', async (t) => {
  const { ari, reports, reconnect } = await placed();
  ari.enter('cc-L1-agent');
  await settled();
  const finish = reconnect();
  ari.enter('cc-L1-customer');
  await finish();
  t.same([...ari.bridges.get('cc-leg-L1')!], ['cc-L1-agent', 'cc-L1-customer']);
  t.same(reports, ['agent_answered', 'customer_answered']);
});

t.test('the customer hangs up while the connection rebuilds: the call ends, the agent is hung up and told why', async (t) => {
  const { ari, legs, reports, reconnect } = await connectedCall();
  const finish = reconnect();
  ari.destroy('cc-L1-customer');
  await finish();
  t.same(reports, ['agent_answered', 'customer_answered', 'customer_hangup (customer hung up)']);
  t.same([...ari.channels], [], "the agent's phone is hung up");
  t.same([...ari.bridges.keys()], [], 'the bridge is removed');
  t.notOk(legs.legs.has('L1'));
});

t.test('a restarted controller: a customer answering before reconciliation is bridged once the call is adopted, not refused', async (t) => {
  const liveLeg: CallLeg = { id: 'L1', interactionId: 'I1', serviceId: 's', agentId: 'alice', customerNumber: '+15550001', state: 'ringing', mute: 'unmuted', startedAt: 0, answeredAt: null, endedAt: null, cause: null };
  const { ari, connection, reports, onEvent, holdRebuild } = await controller({
    rebuild: async (client, legs) => (await reconcileCalls({ ari: client, liveLegs: [liveLeg], callLegs: legs, onEvent })).later,
  });
  // What the controller that crashed had placed: the agent answered, the customer's phone rings.
  ari.channels.add('cc-L1-agent').add('cc-L1-customer');
  ari.bridges.set('cc-leg-L1', new Set());
  const finish = holdRebuild();
  const up = connection.start(1000);
  await settled();
  ari.enter('cc-L1-customer');
  await finish();
  await up;
  t.ok(ari.channels.has('cc-L1-customer'), 'the customer is not hung up');
  t.same([...ari.bridges.get('cc-leg-L1')!], ['cc-L1-agent', 'cc-L1-customer'], 'agent and customer talk');
  t.same(reports, ['customer_answered']);
});

t.test('a channel of ours that no leg claims is left to reconciliation; a call the controller did not place is hung up', async (t) => {
  const ari = new FakeAri();
  const logger = pino({ level: 'silent' });
  ari.channels.add('cc-L9-customer').add('1733500000.42');
  for (const id of ['cc-L9-customer', '1733500000.42']) refuseStranger(ari.current(), { type: 'StasisStart', channel: { id, name: id } } as AriEvent, logger);
  await settled();
  t.same([...ari.channels], ['cc-L9-customer']);
});

t.test('events of a rebuild are handled in the order they came; beyond the cap they are dropped and logged', async (t) => {
  const { ari, connection, logs, reconnect } = await controller();
  const seen: string[] = [];
  await connection.start(1000);
  // Plain events, none of a call: what the connection hands on is seen through the stranger check.
  const original = ari.current().channels.hangup;
  ari.current().channels.hangup = async (p) => void seen.push(p.channelId);
  const finish = reconnect();
  for (let i = 0; i < MAX_EARLY_EVENTS + 3; i++) ari.enter(`stranger-${i}`);
  t.same(seen, [], 'nothing acted on while rebuilding');
  await finish();
  t.equal(seen.length, MAX_EARLY_EVENTS);
  t.same([seen[0], seen[1], seen.at(-1)], ['stranger-0', 'stranger-1', `stranger-${MAX_EARLY_EVENTS - 1}`], 'in the order they came');
  t.ok(logs.some((line) => /dropped while reconnecting/.test(line.msg) && line.dropped === 3), 'the drop is logged, with how many');
  ari.enter('stranger-live');
  t.equal(seen.at(-1), 'stranger-live', 'once up, events are handled as they come');
  ari.current().channels.hangup = original;
});

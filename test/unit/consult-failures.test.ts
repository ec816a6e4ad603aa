// A consult (warm transfer) whose ARI request fails half way leaves nothing ringing or silent in
// Asterisk, and the agents' screens are told it ended. The call legs against an in-memory ARI
// (test/helpers/fake-ari.ts), driven by the real rules.
import t from 'tap';
import { connectedCall, settled } from '../helpers/ari-call-legs.ts';

type Api = { channels: Record<string, (p: never) => Promise<unknown>>; bridges: Record<string, (p: never) => Promise<unknown>> };

function consultEvents() {
  const told: string[] = [];
  return { told, events: { answered: () => void told.push('answered'), ended: (why: string) => void told.push(`ended: ${why}`), callEnded: () => void told.push('call ended') } };
}

t.test("a consult ring whose answer was lost (Asterisk made the channel, the request timed out) is hung up", async (t) => {
  const { ari, h, leg, rec } = await connectedCall();
  const api = ari.current() as unknown as Api;
  const originate = api.channels.originate!;
  api.channels.originate = async (p: never) => {
    await originate(p);
    throw new Error('ARI request timed out');
  };
  const { events } = consultEvents();
  await t.rejects(h.desk.startConsult(rec, { agentId: 'bob', name: 'Bob' }, events), 'the consult fails');
  await settled();
  t.notOk(ari.channels.has(`cc-${leg.id}-agent-1`), "Bob's phone does not go on ringing");
});

// Alice's call, consulting Bob (his phone rings); `api` is the fake ARI's requests, to make one fail.
async function consulting() {
  const { ari, h, leg, rec } = await connectedCall();
  const { told, events } = consultEvents();
  await h.desk.startConsult(rec, { agentId: 'bob', name: 'Bob' }, events);
  return { ari, leg, told, api: ari.current() as unknown as Api };
}

t.test('a consulted agent who answers but cannot be put with the first agent is hung up, and the consult ends', async (t) => {
  const { ari, leg, told, api } = await consulting();
  api.bridges.create = async () => {
    throw new Error('ARI answered 500');
  };
  ari.enter(`cc-${leg.id}-agent-1`); // Bob answers
  await settled();
  t.notOk(ari.channels.has(`cc-${leg.id}-agent-1`), 'Bob is not left on a silent line');
  t.match(told, [/^ended: /], 'the screens are told the consult ended');
  t.ok(ari.bridges.get(`cc-leg-${leg.id}`)?.has(`cc-${leg.id}-agent`), 'the first agent is back with the customer');
});

t.test("the consulted phone's end is told even when putting the first agent back with the customer fails", async (t) => {
  const { ari, leg, told, api } = await consulting();
  api.bridges.addChannel = async () => {
    throw new Error('ARI answered 500');
  };
  ari.destroy(`cc-${leg.id}-agent-1`, 19); // Bob's phone does not answer
  await settled();
  t.match(told, [/^ended: the other agent's phone did not answer .*not bridged back/], 'the consult ends on the screens, saying what went wrong');
});

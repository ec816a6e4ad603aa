// A held call transferred (or consulted) to an agent whose phone does not answer stays on hold: the customer keeps
// the music and does not hear the first agent, as the desktop (still "On hold") says. The call legs in
// Asterisk (src/ari/calls/call-legs.ts) against an in-memory ARI, driven by the real rules.
import t from 'tap';
import { AriHttpError } from '../../src/ari/errors.ts';
import { connectedCall, settled } from '../helpers/ari-call-legs.ts';

t.test('hold, then a transfer whose new phone does not answer: the customer stays on hold', async (t) => {
  const { ari, music, h, leg, rec } = await connectedCall();
  await h.desk.toggleHold('alice', rec.id);
  const bridge = ari.bridges.get(`cc-leg-${leg.id}`)!;
  t.equal(leg.state, 'on_hold');
  t.notOk(bridge.has(`cc-${leg.id}-agent`), "the agent's phone is out of the bridge");

  const moving = h.desk.moveCall(rec, 'bob').then(() => null, (err: unknown) => err);
  await settled();
  ari.destroy(`cc-${leg.id}-agent-1`, 19); // Bob's phone does not answer
  t.ok(await moving, 'the transfer of the call fails');
  await settled();
  t.equal(leg.state, 'on_hold', 'the desktop still says On hold');
  t.notOk(bridge.has(`cc-${leg.id}-agent`), "so the first agent's phone stays out of the bridge");
  t.ok(music.has(`cc-leg-${leg.id}`), 'and the customer keeps the music');
});

t.test("hold, then a consult whose ring Asterisk refuses: the customer stays on hold and does not hear the agent", async (t) => {
  const { ari, music, h, leg, rec } = await connectedCall();
  await h.desk.toggleHold('alice', rec.id);
  const bridge = ari.bridges.get(`cc-leg-${leg.id}`)!;
  (ari.current() as unknown as { channels: { originate(): Promise<void> } }).channels.originate = async () => {
    throw new AriHttpError(500, 'Allocation failed'); // e.g. Bob's registration went stale
  };
  const events = { answered: () => undefined, ended: () => undefined, callEnded: () => undefined };
  await t.rejects(h.desk.startConsult(rec, { agentId: 'bob', name: 'Bob' }, events), 'the consult fails');
  await settled();
  t.equal(leg.state, 'on_hold', 'the desktop still says On hold');
  t.notOk(bridge.has(`cc-${leg.id}-agent`), "so the first agent's phone stays out of the bridge");
  t.ok(music.has(`cc-leg-${leg.id}`), 'and the customer keeps the music');
});

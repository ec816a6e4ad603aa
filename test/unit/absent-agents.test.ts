// Agents nobody is at (no live session: it expired, the last tab logged out, an admin reset the
// password, a new leader found them Ready) are logged out of routing, so no customer waits for an offer
// that can only ring out. ContactCenter.logOutAbsent, as main.ts runs it every 30 s on the leader.
import t from 'tap';
import { makeCenter, startChat } from '../helpers/fakes.ts';

t.test('a Ready agent with no session is Not Ready, and the next chat waits for someone who is there', async (t) => {
  const h = await makeCenter();
  h.center.setPresence('alice', 'make_ready');
  h.clock.advance(1000);
  h.center.logOutAbsent(new Set(['bob']), h.clock.now());
  t.equal(h.center.agentState('alice').presence, 'not_ready', 'Alice, logged in nowhere, is Not Ready');
  t.ok(h.events.some((e) => e.type === 'presence_changed' && e.agent.agentId === 'alice' && e.agent.presence === 'not_ready'), 'the floor hears it');
  const { interaction } = await startChat(h, { serviceId: 'roadside' });
  t.equal(interaction.offeredTo, null, 'a new chat is not offered to her');
  t.equal(interaction.state, 'queued');
});

t.test('a chat ringing for an agent nobody is at goes on at once to one who is there', async (t) => {
  const h = await makeCenter();
  h.center.setPresence('alice', 'make_ready');
  const { interaction } = await startChat(h, { serviceId: 'roadside' });
  t.equal(interaction.offeredTo, 'alice');
  h.clock.advance(1000);
  h.center.setPresence('bob', 'make_ready');
  h.center.logOutAbsent(new Set(['bob']), h.clock.now());
  t.equal(h.center.agentState('alice').presence, 'not_ready', 'Alice is Not Ready');
  t.equal(interaction.offeredTo, 'bob', "offered to Bob now, not once Alice's offer has rung out");
  t.equal(interaction.state, 'offered');
});

t.test('an agent logged in stays Ready; one who went Ready after who is logged in was read stays Ready too', async (t) => {
  const h = await makeCenter();
  h.center.setPresence('alice', 'make_ready');
  const readAt = h.clock.now();
  h.clock.advance(1000);
  h.center.setPresence('bob', 'make_ready'); // logged in after the read: not in it
  h.center.logOutAbsent(new Set(['alice']), readAt);
  t.equal(h.center.agentState('alice').presence, 'ready', 'Alice is logged in');
  t.equal(h.center.agentState('bob').presence, 'ready', 'Bob went Ready after the read');
  h.clock.advance(1000);
  h.center.logOutAbsent(new Set(['alice']), h.clock.now());
  t.equal(h.center.agentState('bob').presence, 'not_ready', 'at the next read Bob, still logged in nowhere, is Not Ready');
});

t.test('an agent in wrap-up with no session is Not Ready once it ends', async (t) => {
  const h = await makeCenter();
  h.center.setPresence('alice', 'start_wrap_up');
  h.clock.advance(1000);
  h.center.logOutAbsent(new Set(), h.clock.now());
  t.equal(h.center.agentState('alice').presence, 'not_ready');
});

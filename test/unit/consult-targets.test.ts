// Consults (warm transfers) in the domain, continued (consult.test.ts): refusals that depend on the
// target (no phone, disabled by an admin, busy) and the customer ending the chat during Complete transfer.
import t from 'tap';
import { liveLeg } from '../../src/domain/interaction.ts';
import { activeChat, disableAgent, expectDomainError, startChat } from '../helpers/fakes.ts';
import { events, onCall, sees, settled, steps } from '../helpers/consult.ts';

t.test('a Consult to an agent with no phone registered is refused before anything changes', async (t) => {
  const { h, desk, telephony, rec, id, leg } = await onCall();
  telephony.noPhone.add('bob');
  const refused = await expectDomainError(t, desk.consult('alice', id, { to: 'agent:bob' }), 'unavailable', 'consult_call_failed');
  t.match(refused?.message, /^Bob's phone could not be called \(no softphone or desk phone registered\)/);
  t.same([leg.state, leg.consult, rec.offeredTo, rec.handoff], ['connected', null, null, null], 'the customer was never put on hold');
  t.equal(h.center.agentState('bob').pendingOffer, null);
  t.notOk(telephony.calls.some((c) => c.startsWith('consult')), 'no phone rung');
  t.same(await steps(h, id), [], 'nothing on the timeline');
  await desk.consult('alice', id, { to: 'agent:carol' });
  t.equal(rec.offeredTo, 'carol', 'another agent may be consulted');
});

t.test("an admin disabling the consulted agent ends the consult: Bob's phone hung up, the customer and the chat back with Alice", async (t) => {
  const { h, desk, telephony, rec, id, leg } = await onCall();
  await desk.consult('alice', id, { to: 'agent:bob' });
  events(telephony, leg.id).answered();
  await settled();
  await disableAgent(h, 'bob');
  await settled();
  t.equal(telephony.calls.at(-1), `end consult ${leg.id}`, "Bob's phone is hung up");
  t.same([rec.state, rec.agentId, leg.agentId, leg.state, leg.consult], ['active', 'alice', 'alice', 'connected', null], 'Alice and the customer, off hold');
  t.notOk(sees(h, 'bob', id), 'Bob no longer reads the chat');
  t.same((await steps(h, id)).map((s) => [s[0], s[4]]), [
    ['consulted', null],
    ['cancelled', 'target_disabled'],
  ]);
  t.notOk((await h.center.timeline(id)).some((e) => e.kind === 'requeued'), "Alice's chat is not requeued");
});

t.test('the consulted agent logging out ends the consult: the customer and the chat back with Alice, Complete transfer refused', async (t) => {
  const { h, desk, telephony, rec, id, leg } = await onCall();
  await desk.consult('alice', id, { to: 'agent:bob' });
  events(telephony, leg.id).answered();
  await settled();
  await h.center.setPresence('bob', 'log_out');
  await settled();
  t.equal(telephony.calls.at(-1), `end consult ${leg.id}`, "Bob's phone is hung up");
  t.same([rec.state, rec.agentId, leg.agentId, leg.state, leg.consult], ['active', 'alice', 'alice', 'connected', null], 'Alice and the customer, off hold');
  t.same((await steps(h, id)).map((s) => [s[0], s[4]]), [
    ['consulted', null],
    ['cancelled', 'target_logged_out'],
  ]);
  await t.rejects(desk.complete('alice', id), { code: 'no_consult' }, 'nothing left to complete');
});

t.test('Consult and a transfer with the call are refused when the target is on a call or already being offered something', async (t) => {
  const { h, desk, telephony, rec, id, leg } = await onCall();
  // Carol (Billing) on a call with a customer of her own (Billing calls its customers at once).
  const { interaction: carols } = await activeChat(h, 'carol', { serviceId: 'billing' });
  t.ok(liveLeg(carols), 'Carol is on a call');
  const consulted = telephony.calls.length;
  await expectDomainError(t, desk.consult('alice', id, { to: 'agent:carol' }), 'conflict', 'agent_on_call', 'a consult to Carol');
  await expectDomainError(t, desk.transfer('alice', id, { to: 'agent:carol' }), 'conflict', 'agent_on_call', 'a transfer that takes the call to Carol');
  await expectDomainError(t, desk.consult('alice', id, { to: 'service:billing' }), 'conflict', 'no_agent_ready', "a consult to Billing, whose one Ready agent is on a call");
  t.same([leg.state, leg.consult, rec.offeredTo, rec.handoff], ['connected', null, null, null], 'the customer was never put on hold');
  t.equal(telephony.calls.length, consulted, 'no phone rung');
  // Bob is offered a new chat (not yet accepted): a consult would take its place.
  const { interaction: waiting } = await startChat(h, { serviceId: 'roadside' });
  t.equal(h.center.agentState('bob').pendingOffer, waiting.id);
  await expectDomainError(t, desk.consult('alice', id, { to: 'agent:bob' }), 'conflict', 'agent_busy', 'a consult to Bob while a chat is offered to him');
  t.equal(h.center.agentState('bob').pendingOffer, waiting.id, 'his offer stands');
  t.same(await steps(h, id), [], 'nothing on the timeline');
});

t.test('the customer ending the chat while Complete transfer moves the call: Alice is told the chat ended, nothing is handed to Bob', async (t) => {
  const { h, desk, telephony, rec, id, leg } = await onCall();
  await desk.consult('alice', id, { to: 'agent:bob' });
  events(telephony, leg.id).answered();
  await settled();
  let ended: Promise<unknown> = Promise.resolve();
  telephony.completeConsult = async () => {
    ended = h.center.endByCustomer(id);
    await ended;
  };
  await expectDomainError(t, desk.complete('alice', id), 'conflict', 'chat_ended', 'Complete transfer');
  await ended;
  await settled();
  t.same([rec.state, rec.agentId, leg.state], ['ended', 'alice', 'released'], 'the chat ended with Alice, its call released');
  t.notOk(sees(h, 'bob', id), 'Bob was given nothing');
  t.equal(h.center.agentState('bob').pendingOffer, null);
  t.notOk((await steps(h, id)).some((s) => s[0] === 'completed'), 'no completed step');
});

// What the chat asks of its media (ContactCenter -> InteractionMedia): dial the customer after Accept
// on an auto-dial service, and release call and video before the interaction ends, whoever ends it.
import t from 'tap';
import { activeChat, makeCenter } from '../helpers/fakes.ts';
import { FakeTelephony, FakeVideoRooms } from '../helpers/fake-media.ts';

// A call or video entry carries the leg or session as it was then.
const stateOf = (data: unknown) => (data as { state: string }).state;

t.test('Accept on an auto-dial service calls the customer for the accepting agent; other services wait for a click', async (t) => {
  const telephony = new FakeTelephony();
  const h = await makeCenter({ telephony });
  const billing = await activeChat(h, 'carol', { serviceId: 'billing' });
  t.equal(billing.interaction.callLegs.length, 1, 'billing dials at once');
  t.match(billing.interaction.callLegs[0], { agentId: 'carol', serviceId: 'billing', customerNumber: billing.interaction.customer.phone });
  t.same(telephony.calls, [`place ${billing.interaction.callLegs[0]!.id}`]);
  const roadside = await activeChat(h, 'alice');
  t.equal(roadside.interaction.callLegs.length, 0, 'roadside does not');
});

t.test('without telephony an auto-dial service is accepted all the same, with no call', async (t) => {
  const h = await makeCenter();
  const { interaction } = await activeChat(h, 'carol', { serviceId: 'billing' });
  t.equal(interaction.state, 'active');
  t.same(interaction.callLegs, []);
});

t.test('with the telephony away an auto-dial service is accepted all the same; Call works once it is back', async (t) => {
  const telephony = new FakeTelephony();
  const h = await makeCenter({ telephony });
  h.desk.telephonyChanged(false);
  const { interaction } = await activeChat(h, 'carol', { serviceId: 'billing' });
  t.equal(interaction.state, 'active', 'accepted, not answered 503');
  t.same(interaction.callLegs, [], 'no call placed');
  h.desk.telephonyChanged(true);
  t.ok(await h.desk.callCustomer('carol', interaction.id), 'the agent calls once the telephony is back');
});

t.test('the customer ending the chat releases the call and closes the video first', async (t) => {
  const telephony = new FakeTelephony();
  const rooms = new FakeVideoRooms();
  const h = await makeCenter({ telephony, video: rooms });
  const { interaction } = await activeChat(h, 'alice');
  const leg = await h.desk.callCustomer('alice', interaction.id);
  const { video } = await h.desk.requestVideo(interaction.id);
  await h.desk.allowVideo('alice', interaction.id);
  await h.center.endByCustomer(interaction.id);
  t.same([leg.state, video.state, video.endedBy], ['released', 'closed', 'customer']);
  t.ok(telephony.calls.includes(`release ${leg.id}`), 'the call is hung up');
  t.ok(rooms.calls.includes(`close ${video.id}`), 'the room is closed');
  await h.store.settled();
  const tail = h.store.entriesOf(interaction.id).slice(-3).map((e) => (e.kind === 'call' ? `call ${stateOf(e.data)}` : e.kind === 'video' ? `video ${stateOf(e.data)}` : e.kind));
  t.same(tail, ['video closed', 'call released', 'ended'], 'media first, then the chat');
});

t.test('telephony away: calls are refused with its reason, each change is announced once, calls work again after', async (t) => {
  const telephony = new FakeTelephony();
  const h = await makeCenter({ telephony });
  const chat = await activeChat(h, 'alice');
  const announced = () => h.events.filter((e) => e.type === 'telephony_changed');
  h.desk.telephonyChanged(false);
  h.desk.telephonyChanged(false);
  t.same(announced(), [{ type: 'telephony_changed', available: false }], 'one announcement for one change');
  await t.rejects(h.desk.callCustomer('alice', chat.interaction.id), { code: 'telephony_unavailable', kind: 'unavailable', message: /^Telephony is unavailable/ });
  t.same(telephony.calls, [], 'nothing reached the telephony');
  h.desk.telephonyChanged(true);
  t.equal(announced().length, 2, 'its return is announced');
  await h.desk.callCustomer('alice', chat.interaction.id);
  t.equal(telephony.calls.length, 1, 'and calls go through again');
});

t.test('without telephony configured, availability changes nothing', async (t) => {
  const h = await makeCenter();
  h.desk.telephonyChanged(false);
  t.equal(h.events.filter((e) => e.type === 'telephony_changed').length, 0);
  t.equal(h.desk.capabilities.telephonyAway, false);
});

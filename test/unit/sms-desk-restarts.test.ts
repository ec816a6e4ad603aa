import t from 'tap';
import { MemoryClosureStore } from '../helpers/fake-ports.ts';
import { gapMarker } from '../../src/domain/sms-reassembly.ts';
import { SERVICES } from '../helpers/fakes.ts';
import { RATING_REPLY_WINDOW_MS } from '../../src/domain/sms-rating.ts';
import { acceptedBy, BILLING_NO, delivered, durable, endedSmsChat, makeDesk, newPhone, ROADSIDE_NO } from '../helpers/sms-desk.ts';

// What the SMS desk finds again when it starts over the same stores (a restart, a failover): texts
// waiting for parts, replies and rating questions the gateway never answered, questions still open.

t.test('a long text to a service disabled meanwhile does not stop the next start; other texts still arrive', async (t) => {
  const { interactions, sms, clock } = durable();
  const h1 = await makeDesk({ interactions, sms, clock });
  const from = newPhone();
  // Both parts stored, as after a crash between the last part and its delivery.
  for (const n of [1, 2]) await sms.savePart({ id: `d${n}`, from, to: ROADSIDE_NO, gateway: 'webhook', receivedAt: clock.now(), ref: 4, total: 2, part: n, text: `part ${n} ` });
  await h1.desk.receive(h1.text(from, 'to billing, ', { id: 'b1', to: BILLING_NO, concat: { ref: 5, part: 1, total: 2 } }));
  h1.desk.shutdown();
  h1.center.shutdown();

  const disabled = SERVICES.map((s) => (s.id === 'roadside' ? { ...s, disabled: true } : s));
  const h2 = await makeDesk({ interactions, sms, clock, services: disabled });
  t.match(h2.errors, [{ code: 'service_disabled' }], 'the refusal is reported');
  t.same((await sms.pendingParts()).map((p) => p.id), ['b1'], 'the refused text waits no more');
  t.equal(h2.center.openInteractions().length, 0, 'no chat on the disabled service');
  clock.advance(30_000);
  await h2.desk.settled();
  const [billing] = h2.center.openInteractions();
  t.equal(billing?.serviceId, 'billing', 'the other text still reaches its chat');
  t.same(await h2.customerTexts(billing!.id), [`to billing, ${gapMarker(2, 2)}`]);

  const h3 = await makeDesk({ interactions, sms, clock, services: disabled });
  t.same(h3.errors, [], 'the next start has nothing left to refuse');
});

t.test('parts still waiting survive a restart and keep their deadline', async (t) => {
  const { interactions, sms, clock } = durable();
  const h1 = await makeDesk({ interactions, sms, clock });
  const from = newPhone();
  await h1.desk.receive(h1.text(from, 'part one, ', { id: 'r1', concat: { ref: 5, part: 1, total: 2 } }));
  h1.desk.shutdown();
  h1.center.shutdown();

  clock.advance(10_000);
  const h2 = await makeDesk({ interactions, sms, clock });
  t.equal(h2.desk.pendingTexts, 1, 'the part is waited for again');
  t.same(await h2.desk.receive(h2.text(from, 'part one, ', { id: 'r1', concat: { ref: 5, part: 1, total: 2 } })), { status: 'duplicate' });
  const id = await delivered(h2, h2.text(from, 'part two', { id: 'r2', concat: { ref: 5, part: 2, total: 2 } }));
  t.same(await h2.customerTexts(id), ['part one, part two']);

  await h2.desk.receive(h2.text(from, 'alone', { id: 'r3', concat: { ref: 6, part: 1, total: 2 } }));
  h2.desk.shutdown();
  clock.advance(40_000);
  const h3 = await makeDesk({ interactions, sms, clock });
  clock.advance(0);
  await h3.desk.settled();
  t.same(await h3.customerTexts(id), ['part one, part two', `alone ${gapMarker(2, 2)}`], 'a wait that ran out while down ends at once');
});

t.test('after a restart, replies that never got an answer from the gateway are sent again', async (t) => {
  const { interactions, sms, clock } = durable();
  const h1 = await makeDesk({ interactions, sms, clock });
  const id = await delivered(h1, h1.text(newPhone(), 'help'));
  await acceptedBy(h1, 'alice', id);
  h1.sender.answer = () => new Promise(() => {}); // the gateway never answers; then we go down
  const entry = await h1.center.postAgentMessage('alice', id, 'Help is coming');
  const done = await h1.center.postAgentMessage('alice', id, 'Second');
  await interactions.settled();
  await new Promise((r) => setTimeout(r, 10));
  t.equal(h1.sender.sent.length, 1, 'the second waits behind the first');
  h1.desk.shutdown();

  const h2 = await makeDesk({ interactions, sms, clock });
  await h2.desk.settled();
  t.same(h2.sender.sent.map((s) => s.id), [entry.id, done.id], 'both sent, in order, with their ids');
  t.match((await h2.desk.deliveries(id)).get(entry.id), { status: 'accepted' });
});

t.test('a chat that ended before the gateway answered: after a restart its last replies, then its rating question, go out', async (t) => {
  for (const ratings of [false, true]) {
    const { interactions, sms, clock } = durable();
    const h1 = await makeDesk({ interactions, sms, clock, ratings });
    const from = newPhone();
    const id = await delivered(h1, h1.text(from, 'help'));
    await acceptedBy(h1, 'alice', id);
    const answered = await h1.center.postAgentMessage('alice', id, 'Looking into it');
    await h1.desk.settled();
    h1.sender.answer = () => new Promise(() => {}); // the gateway stops answering; the agent ends the chat; we go down
    const hung = await h1.center.postAgentMessage('alice', id, 'A tow truck is on its way, ref 1234');
    const last = await h1.center.postAgentMessage('alice', id, 'Bye');
    await h1.center.disconnect('alice', id);
    await interactions.settled();
    await new Promise((r) => setTimeout(r, 10));
    h1.desk.shutdown();
    h1.center.shutdown();

    const h2 = await makeDesk({ interactions, sms, clock, ratings });
    await h2.desk.settled();
    const question = ratings ? [`rating:${id}`] : [];
    t.same(h2.sender.sent.map((s) => s.id), [hung.id, last.id, ...question], `${ratings ? 'with' : 'without'} ratings: in order, with their ids; the answered one not again`);
    t.ok(h2.sender.sent.every((s) => s.to === from), 'to the customer');
    const deliveries = await h2.desk.deliveries(id);
    t.same([answered.id, hung.id, last.id, ...question].map((e) => deliveries.get(e)?.status), ['accepted', 'accepted', 'accepted', ...question.map(() => 'accepted')]);
    const h3 = await makeDesk({ interactions, sms, clock, ratings });
    await h3.desk.settled();
    t.same(h3.sender.sent, [], 'the next start sends nothing again');
    t.same([...h2.errors, ...h3.errors], []);
  }
});

t.test('the rating question stands over a restart; not once a chat the customer opened since was accepted, nor after 24 hours', async (t) => {
  const { interactions, sms, clock } = durable();
  const h1 = await makeDesk({ interactions, sms, clock, ratings: true });
  const [from, other, late] = [newPhone(), newPhone(), newPhone()];
  const lapsed = await endedSmsChat(h1, late, 'Hello');
  clock.advance(RATING_REPLY_WINDOW_MS + 1);
  const id = await endedSmsChat(h1, from, 'Flat tyre');
  await endedSmsChat(h1, other, 'Hi');
  const textedSince = await delivered(h1, h1.text(other, 'one more thing'));
  await acceptedBy(h1, 'bob', textedSince);
  await interactions.settled();
  h1.desk.shutdown();
  h1.center.shutdown();

  clock.advance(60_000);
  const h2 = await makeDesk({ interactions, sms, clock, ratings: true });
  t.equal(await delivered(h2, h2.text(from, '5')), id, 'the reply rates the chat that ended before the restart');
  t.match(h2.closures.ratings.get(id), { score: 5, serviceId: 'roadside' });
  t.same(h2.center.openInteractions().filter((r) => r.state !== 'ended').map((r) => r.id), [textedSince], 'no new chat');
  t.equal(await delivered(h2, h2.text(other, '4')), textedSince, 'a chat accepted since the question: the score is its message');
  t.not(await delivered(h2, h2.text(late, '5')), lapsed, 'asked more than 24 hours ago: a new chat');
  t.same([...h2.closures.ratings.keys()], [id]);
  t.same(h2.errors, []);
});

t.test('after a restart, a chat the customer already rated asks nothing again: the same digit texted later is a message', async (t) => {
  const { interactions, sms, clock } = durable();
  const closures = new MemoryClosureStore(interactions); // ratings are stored: they outlive the restart
  const h1 = await makeDesk({ interactions, sms, clock, closures, ratings: true });
  const from = newPhone();
  const id = await endedSmsChat(h1, from, 'Flat tyre');
  t.equal(await delivered(h1, h1.text(from, '5')), id, 'the score rates the chat');
  await h1.desk.settled();
  t.match(h1.sender.sent.map((m) => m.id), [`rating:${id}`], 'the question went out, and was answered');
  await interactions.settled();
  h1.desk.shutdown();
  h1.center.shutdown();

  clock.advance(60_000);
  const h2 = await makeDesk({ interactions, sms, clock, closures, ratings: true });
  const next = await delivered(h2, h2.text(from, '5'));
  t.not(next, id, 'the same digit later is not taken for the rating again');
  t.same(await h2.customerTexts(next), ['5'], 'it reaches a chat, as a message');
  t.same(h2.errors, []);
});

// The question of an ended chat the gateway never answered is sent again after a restart, unless a chat
// the customer opened since was accepted: their next "2" belongs to that chat.
t.test('after a restart, a question still sending is not asked again once a chat the customer opened since was accepted', async (t) => {
  const { interactions, sms, clock } = durable();
  const before = await makeDesk({ interactions, sms, clock, ratings: true });
  const from = newPhone();
  const first = await delivered(before, before.text(from, 'help'));
  await acceptedBy(before, 'alice', first);
  before.sender.answer = () => new Promise(() => undefined); // the gateway takes the question, never answers
  await before.center.disconnect('alice', first);
  await interactions.settled();
  const second = await delivered(before, before.text(from, 'also my window is broken'));
  t.not(second, first, 'a text that is not a score opens a new chat');
  await acceptedBy(before, 'bob', second);
  await interactions.settled();
  before.desk.shutdown();
  before.center.shutdown();

  clock.advance(60_000);
  const after = await makeDesk({ interactions, sms, clock, ratings: true });
  await after.desk.settled();
  t.notOk(after.sender.sent.some((s) => s.id.startsWith('rating:')), 'the question is not sent again');
  const reply = (await after.desk.receive(after.text(from, '2'))) as { interactionId?: string };
  t.equal(reply.interactionId, second, 'the "2" is a message of the new chat');
  t.notOk(after.closures.ratings.has(first), 'and rates nothing');
});

t.test('texts from the SIP trunk that could not reach their chat are delivered by the next start, in order, once', async (t) => {
  const { interactions, sms, clock } = durable();
  // The store takes no timeline entry while the first desk runs (it is down, then the desk stops).
  let storeDown = true;
  const failing = new Proxy(interactions, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (key === 'appendEntry' && storeDown) return () => Promise.reject(new Error('store briefly unavailable'));
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const h1 = await makeDesk({ interactions: failing, sms, clock });
  const from = newPhone();
  const texts = [h1.text(from, 'stuck in traffic', { gateway: 'sip' }), h1.text(from, 'ok', { gateway: 'sip' })];
  for (const text of texts) await t.rejects(h1.desk.receiveUnasked(text), 'not taken: the store is down');
  // Stopped before its retries: Asterisk answered the carrier, nobody sends these again.
  h1.desk.shutdown();
  h1.center.shutdown();

  storeDown = false;
  const h2 = await makeDesk({ interactions, sms, clock });
  await h2.desk.settled();
  const chat = h2.center.openInteractions().find((rec) => rec.customer.phone === from);
  t.ok(chat, 'a chat for the sender');
  t.same(await h2.customerTexts(chat!.id), ['stuck in traffic', 'ok'], 'both texts, in the order they came');
  t.same(await sms.pendingParts(), [], 'nothing left for the start after');
  t.equal((await h2.desk.receiveUnasked(texts[0]!)).status, 'duplicate', 'and a repeat is a repeat');
  const h3 = await makeDesk({ interactions, sms, clock });
  await h3.desk.settled();
  t.same(await h3.customerTexts(chat!.id), ['stuck in traffic', 'ok'], 'the start after shows them once');
});

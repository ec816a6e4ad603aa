import t from 'tap';
import { unavailable } from '../../src/domain/errors.ts';
import { gapMarker, lateMarker } from '../../src/domain/sms-reassembly.ts';
import type { InboundSms } from '../../src/domain/sms-ports.ts';
import { SEEN_SMS_KEPT_MS } from '../../src/domain/sms-desk.ts';
import { acceptedBy, delivered, endedSmsChat, newPhone, sqliteDesk, type SqliteDesk as Desk } from '../helpers/sms-desk.ts';

// A gateway sends a text again when we answered 503 (or not at all). A text that failed to reach the
// chat in a way that may pass (the store briefly unavailable, a seq another writer took) is delivered by
// that retry, never answered as a repeat while the customer has not seen it; once delivered, a retry
// is a repeat and the customer sees the text once. On the real SQLite stores (sms-desk.ts sqliteDesk).

const storeDown = () => unavailable('store_unavailable', 'The store is briefly unavailable.', 1);

async function chatWith(h: Desk, from: string): Promise<string> {
  return delivered(h, h.text(from, 'hello'));
}

// Another writer (a late commit of the previous leader) took the chat's next seq.
async function seqTakenIn(h: Desk, interactionId: string): Promise<void> {
  const seq = h.open(interactionId)!.lastSeq + 1;
  await h.interactions.appendEntry({ id: `late-${seq}`, interactionId, seq, kind: 'message', author: 'customer', agentId: null, text: 'stored late', clientId: null, attachment: null, data: null, createdAt: 0 });
}

const part = (h: Desk, from: string, id: string, n: number, text: string, total = 2): InboundSms => h.text(from, text, { id, concat: { ref: 9, part: n, total } });

// A chat, then the first part of a long text whose wait runs out while the store fails `failures`
// times: its delivery failed, and no gateway will send it again.
async function waitRanOutWhileStoreDown(t: Parameters<typeof sqliteDesk>[0], first: { id: string; text: string; total: number }, failures = 1) {
  const h = await sqliteDesk(t);
  const from = newPhone();
  const id = await chatWith(h, from);
  await h.desk.receive(part(h, from, first.id, 1, first.text, first.total));
  h.failNextAppends(storeDown(), failures);
  h.clock.advance(30_000);
  await h.desk.settled();
  return { h, from, id };
}

t.test('a long text that met a seq another writer took: the gateway retry of its last part delivers it; later retries are repeats', async (t) => {
  const h = await sqliteDesk(t);
  const from = newPhone();
  const id = await chatWith(h, from);
  await seqTakenIn(h, id);
  t.same(await h.desk.receive(part(h, from, 'p1', 1, 'part one ')), { status: 'part_stored' });
  const first = await h.desk.receive(part(h, from, 'p2', 2, 'part two')).catch((err: unknown) => err);
  t.match(first, { kind: 'unavailable', code: 'seq_taken' }, '503: send again');

  t.same(await h.desk.receive(part(h, from, 'p2', 2, 'part two')), { status: 'delivered', interactionId: id }, 'the retry delivers the text now');
  t.same(await h.customerTexts(id), ['hello', 'stored late', 'part one part two']);
  t.same(await h.store.pendingParts(), [], 'no part left for the next start');
  t.same(await h.desk.receive(part(h, from, 'p2', 2, 'part two')), { status: 'duplicate' }, 'a retry after delivery is a repeat');
  t.same(await h.desk.receive(part(h, from, 'p1', 1, 'part one ')), { status: 'duplicate' });
  t.same(await h.customerTexts(id), ['hello', 'stored late', 'part one part two'], 'shown once');
});

t.test('a long text met the store briefly unavailable: a retry of any of its parts delivers it, or answers 503 again while the store is down', async (t) => {
  const h = await sqliteDesk(t);
  const from = newPhone();
  const id = await chatWith(h, from);
  await h.desk.receive(part(h, from, 'q1', 1, 'flat '));
  h.failNextAppends(storeDown(), 2);
  await t.rejects(h.desk.receive(part(h, from, 'q2', 2, 'tyre')), { kind: 'unavailable', code: 'store_unavailable' });
  await t.rejects(h.desk.receive(part(h, from, 'q1', 1, 'flat ')), { kind: 'unavailable', code: 'store_unavailable' }, 'still down: an honest 503 again');
  t.same(await h.desk.receive(part(h, from, 'q1', 1, 'flat ')), { status: 'delivered', interactionId: id }, 'back up: delivered by the retry of the first part');
  t.same(await h.desk.receive(part(h, from, 'q2', 2, 'tyre')), { status: 'duplicate' });
  t.same(await h.customerTexts(id), ['hello', 'flat tyre']);
});

t.test('a text whose wait ran out could not be delivered: the retry of a part delivers it with its gap', async (t) => {
  const { h, from, id } = await waitRanOutWhileStoreDown(t, { id: 'w1', text: 'jack ', total: 3 });
  t.match(h.errors, [{ code: 'store_unavailable' }], 'the failed delivery is reported');
  t.same(await h.customerTexts(id), ['hello'], 'not shown yet');
  t.same(await h.desk.receive(part(h, from, 'w1', 1, 'jack ', 3)), { status: 'delivered', interactionId: id });
  t.same(await h.customerTexts(id), ['hello', `jack ${gapMarker(2, 3, 3)}`]);
  t.same(await h.desk.receive(part(h, from, 'w1', 1, 'jack ', 3)), { status: 'duplicate' });
});

t.test('a text whose wait ran out could not be delivered, and no gateway will send it again: it is tried again by itself', async (t) => {
  const { h, id } = await waitRanOutWhileStoreDown(t, { id: 'r1', text: 'battery ', total: 3 }, 2);
  t.same(await h.customerTexts(id), ['hello'], 'the store is down: not shown yet');
  h.clock.advance(5_000);
  await h.desk.settled();
  t.same(await h.customerTexts(id), ['hello'], 'still down 5 s later');
  t.equal(h.errors.length, 2, 'each failed try is reported');
  h.clock.advance(30_000);
  await h.desk.settled();
  t.same(await h.customerTexts(id), ['hello', `battery ${gapMarker(2, 3, 3)}`], 'delivered by itself once the store is back, with its gap');
  t.same(await h.store.pendingParts(), [], 'no part left for the next start');
  h.clock.advance(600_000);
  await h.desk.settled();
  t.same(await h.customerTexts(id), ['hello', `battery ${gapMarker(2, 3, 3)}`], 'shown once');
});

t.test('a text tried again by itself that a gateway retry delivered first is shown once', async (t) => {
  const { h, from, id } = await waitRanOutWhileStoreDown(t, { id: 's1', text: 'keys ', total: 2 });
  t.same(await h.desk.receive(part(h, from, 's1', 1, 'keys ', 2)), { status: 'delivered', interactionId: id }, "the gateway's retry delivers it");
  await acceptedBy(h, 'alice', id);
  await h.center.disconnect('alice', id);
  h.clock.advance(5_000);
  await h.desk.settled();
  t.same(await h.customerTexts(id), ['hello', `keys ${gapMarker(2, 2)}`], 'shown once');
  t.same(h.center.openInteractions().filter((rec) => rec.customer.phone === from), [], 'and no new chat is opened for it after its chat ended');
});

t.test('a text tried again by itself is only its own parts, not those of a new text with the same reference', async (t) => {
  const { h, from, id } = await waitRanOutWhileStoreDown(t, { id: 'u1', text: 'old ', total: 2 });
  t.same(await h.desk.receive(part(h, from, 'u2', 1, 'new ', 2)), { status: 'part_stored' }, 'a new text with the same reference waits');
  h.clock.advance(5_000);
  await h.desk.settled();
  t.same(await h.customerTexts(id), ['hello', `old ${gapMarker(2, 2)}`], 'the old text alone');
  t.same(await h.desk.receive(part(h, from, 'u3', 2, 'text', 2)), { status: 'delivered', interactionId: id });
  t.same(await h.customerTexts(id), ['hello', `old ${gapMarker(2, 2)}`, 'new text'], 'the new text whole');
});

t.test('a late part that could not be delivered is delivered by its retry, once', async (t) => {
  const h = await sqliteDesk(t);
  const from = newPhone();
  const id = await chatWith(h, from);
  await h.desk.receive(part(h, from, 'l1', 1, 'one '));
  h.clock.advance(30_000);
  await h.desk.settled();
  h.failNextAppends(storeDown());
  await t.rejects(h.desk.receive(part(h, from, 'l2', 2, 'two')), { code: 'store_unavailable' });
  t.same(await h.desk.receive(part(h, from, 'l2', 2, 'two')), { status: 'delivered', interactionId: id });
  t.same(await h.desk.receive(part(h, from, 'l2', 2, 'two')), { status: 'duplicate' });
  t.same(await h.customerTexts(id), ['hello', `one ${gapMarker(2, 2)}`, `${lateMarker(2, 2)} two`]);
});

// A single text is marked seen only once it reached the chat: its retry after a failure is new.
t.test('a one-part text that could not be delivered is delivered by its retry, once', async (t) => {
  const h = await sqliteDesk(t);
  const from = newPhone();
  const id = await chatWith(h, from);
  const sms = h.text(from, 'where are you?');
  h.failNextAppends(storeDown());
  await t.rejects(h.desk.receive(sms), { code: 'store_unavailable' });
  t.same(await h.desk.receive(sms), { status: 'delivered', interactionId: id });
  t.same(await h.desk.receive(sms), { status: 'duplicate' });
  t.same(await h.customerTexts(id), ['hello', 'where are you?']);
});

t.test('a text is known as a repeat for 7 days; sent again after that, it is a new text', async (t) => {
  const h = await sqliteDesk(t);
  const from = newPhone();
  const [sms, part] = [h.text(from, 'first'), h.text(from, 'all ', { concat: { ref: 4, part: 1, total: 2 } })];
  const id = await delivered(h, sms);
  await h.desk.receive(part);
  h.clock.advance(SEEN_SMS_KEPT_MS - 1);
  h.failNextAppends(storeDown()); // the long text waited out its part, and met the store down
  await h.desk.settled();
  t.equal(await h.desk.forgetSeen(), 0, 'nothing older than 7 days');
  t.same(await h.desk.receive(sms), { status: 'duplicate' });
  h.clock.advance(2);
  t.equal(await h.desk.forgetSeen(), 1, "the text's id");
  t.same(await h.desk.receive(sms), { status: 'delivered', interactionId: id }, 'a new text');
  t.same(await h.desk.receive(part), { status: 'delivered', interactionId: id }, 'the part of a text not yet in the chat is kept, and delivered by its retry');
  // The chat still open holds the first under the text's id: it is not shown twice there.
  t.same(await h.customerTexts(id), ['first', `all ${gapMarker(2, 2)}`]);
});

// The part's write went through but the desk heard a failure (a connection lost during COMMIT): the
// row is there, the text in memory does not have it. The gateway's retry puts it in its text.
const storedBehindTheDesk = (h: Desk, sms: InboundSms) =>
  h.store.savePart({ id: sms.id, from: sms.from, to: sms.to, receivedAt: h.clock.now(), gateway: sms.gateway, text: sms.text, ...sms.concat! });

t.test('a part stored although its saving seemed to fail joins its text at the retry, whether the text waits or not yet', async (t) => {
  const h = await sqliteDesk(t);
  const from = newPhone();
  const id = await chatWith(h, from);
  t.same(await h.desk.receive(part(h, from, 'w2', 2, 'jack ', 3)), { status: 'part_stored' });
  await storedBehindTheDesk(h, part(h, from, 'w1', 1, 'bring a ', 3));
  t.same(await h.desk.receive(part(h, from, 'w1', 1, 'bring a ', 3)), { status: 'part_stored' }, 'the retry joins the waiting text');
  t.same(await h.desk.receive(part(h, from, 'w3', 3, 'please', 3)), { status: 'delivered', interactionId: id });
  t.same(await h.customerTexts(id), ['hello', 'bring a jack please'], 'whole, with no gap');

  const first = h.text(from, 'first of two ', { id: 'n1', concat: { ref: 10, part: 1, total: 2 } });
  await storedBehindTheDesk(h, first);
  t.same(await h.desk.receive(first), { status: 'part_stored' }, 'no text waited yet: the retry starts it, nothing delivered early');
  t.same(await h.desk.receive(h.text(from, 'second', { id: 'n2', concat: { ref: 10, part: 2, total: 2 } })), { status: 'delivered', interactionId: id });
  t.same(await h.customerTexts(id), ['hello', 'bring a jack please', 'first of two second']);
});

t.test('a rating reply is not lost to a store failure: a failed text leaves the question standing; a retried score rates once', async (t) => {
  const h = await sqliteDesk(t, { ratings: true });
  const from = newPhone();
  const id = await endedSmsChat(h, from, 'Flat tyre');
  h.failNextAppends(storeDown());
  await t.rejects(h.desk.receive(h.text(from, 'thanks', { id: 'th' })), { kind: 'unavailable', code: 'store_unavailable' }, 'a text that failed: 503');
  h.failNextAppends(storeDown());
  await t.rejects(h.desk.receive(h.text(from, '5', { id: 'r1' })), { kind: 'unavailable', code: 'store_unavailable' }, 'the score met the store down too: 503, send again');
  t.same(await h.desk.receive(h.text(from, '5', { id: 'r1' })), { status: 'delivered', interactionId: id }, 'the retry is the rating of the ended chat');
  t.equal((await h.closures.getRating(id))?.score, 5);
  const open = await h.interactions.loadOpenInteractions();
  const texts = (await Promise.all(open.map((rec) => h.customerTexts(rec.id)))).flat();
  t.notOk(texts.includes('5'), 'no chat got "5" as a message');
});

t.test("a part stored just as its text's wait ran out is shown on its own, not left stored", async (t) => {
  const h = await sqliteDesk(t);
  const from = newPhone();
  const id = await chatWith(h, from);
  await h.desk.receive(part(h, from, 'x1', 1, 'My car broke down on the A1 '));
  // The first part's wait runs out while the second part is being stored.
  const savePart = h.store.savePart.bind(h.store);
  h.store.savePart = (p) => (h.clock.advance(30_000), savePart(p));
  const second = h.desk.receive(part(h, from, 'x2', 2, 'near exit 12'));
  t.same(await second, { status: 'delivered', interactionId: id }, 'the part is delivered, not only stored');
  await h.desk.settled();
  t.same((await h.customerTexts(id)).sort(), ['hello', `My car broke down on the A1 ${gapMarker(2, 2, 2)}`, `${lateMarker(2, 2)} near exit 12`].sort(), 'both halves shown');
  t.same(await h.store.pendingParts(), [], 'nothing left for the next start');
  t.same(h.errors, []);
});

// The gateway sends a text again after the chat it reached was disconnected: what that chat holds of it
// stays there, once; it does not open a new chat with the same text.
async function smsChatsOf(h: Desk, from: string): Promise<string[]> {
  const chats: string[] = [];
  for (const rec of await h.interactions.loadOpenInteractions()) if (rec.customer.phone === from) chats.push(rec.id);
  return chats;
}

t.test('a text whose chat got it but whose seen id was not stored, sent again after the chat was disconnected, is not shown again in a new chat', async (t) => {
  const h = await sqliteDesk(t);
  const from = newPhone();
  const id = await chatWith(h, from);
  await acceptedBy(h, 'alice', id);
  const markSeen = h.store.markSeen.bind(h.store);
  h.store.markSeen = async () => {
    h.store.markSeen = markSeen;
    throw storeDown();
  };
  const sms = h.text(from, 'my car broke down');
  await t.rejects(h.desk.receive(sms), { code: 'store_unavailable' }, 'the gateway is told to send again');
  t.same(await h.customerTexts(id), ['hello', 'my car broke down'], 'though the chat has the text');
  await h.center.disconnect('alice', id);
  await h.desk.settled();

  t.same(await h.desk.receive(sms), { status: 'delivered', interactionId: id }, 'the retry: delivered, to the chat that has it');
  t.same(await smsChatsOf(h, from), [], 'no new chat');
  t.same(await h.customerTexts(id), ['hello', 'my car broke down'], 'shown once');
  t.same(await h.desk.receive(sms), { status: 'duplicate' }, 'a retry after that is a repeat');
});

t.test('a long text cut by a failure after its first piece reached the chat, sent again after the chat was disconnected: only the rest opens a new chat', async (t) => {
  const h = await sqliteDesk(t);
  const from = newPhone();
  const id = await chatWith(h, from);
  await acceptedBy(h, 'alice', id);
  // The first piece (8,000 characters) takes the next seq; the second meets one another writer took.
  const seq = h.open(id)!.lastSeq + 2;
  await h.interactions.appendEntry({ id: `late-${seq}`, interactionId: id, seq, kind: 'message', author: 'customer', agentId: null, text: 'stored late', clientId: null, attachment: null, data: null, createdAt: 0 });
  t.same(await h.desk.receive(part(h, from, 'long-1', 1, 'a'.repeat(5000))), { status: 'part_stored' });
  const second = part(h, from, 'long-2', 2, 'b'.repeat(5000));
  await t.rejects(h.desk.receive(second), { code: 'seq_taken' }, 'the gateway is told to send again');
  const first = 'a'.repeat(5000) + 'b'.repeat(3000);
  t.same(await h.customerTexts(id), ['hello', first, 'stored late'], 'the first piece reached the chat');
  await h.center.disconnect('alice', id);
  await h.desk.settled();

  const retried = await h.desk.receive(second);
  t.match(retried, { status: 'delivered' }, 'the retry is delivered');
  const [rest] = await smsChatsOf(h, from);
  t.ok(rest, 'the rest opens a new chat');
  t.same(await h.customerTexts(rest!), ['b'.repeat(2000)], 'with the rest only');
  t.same(await h.customerTexts(id), ['hello', first, 'stored late'], 'the first piece is shown once, where it was');
});

// The SIP trunk answers the carrier before the desk sees the text: nobody sends it again, so the desk
// tries itself.
t.test('a text from the SIP trunk that met the store briefly down is delivered by the desk trying again, once', async (t) => {
  const h = await sqliteDesk(t);
  const from = newPhone();
  const id = await chatWith(h, from);
  h.failNextAppends(storeDown(), 2);
  const sms = h.text(from, 'are you still there?', { gateway: 'sip' });
  await t.rejects(h.desk.receiveUnasked(sms), { code: 'store_unavailable' }, 'the first try fails');
  h.clock.advance(5_000);
  await h.desk.settled();
  t.same(await h.customerTexts(id), ['hello'], 'the second (after 5 s) too');
  h.clock.advance(30_000);
  await h.desk.settled();
  t.same(await h.customerTexts(id), ['hello', 'are you still there?'], 'the third delivers it');
  h.clock.advance(300_000);
  await h.desk.settled();
  t.same(await h.customerTexts(id), ['hello', 'are you still there?'], 'and nothing is tried after');
  t.equal((await h.desk.receive(sms)).status, 'duplicate', 'a repeat of it is a repeat');
});

t.test('a text from the SIP trunk the rules refuse (a number not ours) is not tried again', async (t) => {
  const h = await sqliteDesk(t);
  const sms = h.text(newPhone(), 'hello?', { gateway: 'sip', to: '+15550001111' });
  await t.rejects(h.desk.receiveUnasked(sms), { code: 'unknown_number' });
  h.clock.advance(5_000);
  await h.desk.settled();
  t.equal(h.center.openInteractions().length, 0, 'no chat came of it');
  t.same(h.errors, [], 'nothing was tried again to fail again');
});

import t from 'tap';
import type { ContactCenter } from '../../src/domain/contact-center.ts';
import { DomainEvents } from '../../src/domain/events.ts';
import { SmsDesk } from '../../src/domain/sms-desk.ts';
import { SmsSendRefused } from '../../src/domain/sms-ports.ts';
import { SEND_RETRY_MS } from '../../src/domain/sms-send-retries.ts';
import { MemorySmsStore } from '../helpers/fake-sms.ts';
import { gapMarker } from '../../src/domain/sms-reassembly.ts';
import { expectDomainError, SERVICES } from '../helpers/fakes.ts';
import { ManualClock, MemoryInteractionStore } from '../helpers/fake-ports.ts';
import { scoreOfReply } from '../../src/domain/rating.ts';
import { RATING_PROMPT, RATING_REPLY_WINDOW_MS } from '../../src/domain/sms-rating.ts';
import { acceptedBy, BILLING_NO, delivered, durable, endedSmsChat, makeDesk, newPhone, ROADSIDE_NO } from '../helpers/sms-desk.ts';

// ---- inbound -----------------------------------------------------------------------------------------

t.test('a text from a new number opens an SMS chat on the service of the receiving number, offered like any chat', async (t) => {
  const h = await makeDesk();
  h.center.setPresence('alice', 'make_ready');
  const from = newPhone();
  const id = await delivered(h, h.text(from, 'My car broke down'));
  const rec = h.open(id)!;
  t.equal(rec.channel, 'sms');
  t.equal(rec.serviceId, 'roadside');
  t.same(rec.customer, { name: `SMS ${from}`, phone: from }, 'the sender is the customer phone: click-to-call works');
  t.equal(rec.state, 'offered');
  t.equal(rec.offeredTo, 'alice');
  t.same(await h.customerTexts(id), ['My car broke down']);
  t.same(h.store.routes.get(id), { interactionId: id, customerNumber: from, serviceNumber: ROADSIDE_NO, gateway: 'webhook', createdAt: h.clock.now() });

  const billing = await delivered(h, h.text(from, 'and a billing question', { to: BILLING_NO }));
  t.not(billing, id, 'another of our numbers is another chat');
  t.equal(h.open(billing)!.serviceId, 'billing');
});

t.test('later texts from the same number join the active chat; after Disconnect a new text opens a new chat', async (t) => {
  const h = await makeDesk();
  const from = newPhone();
  const first = await delivered(h, h.text(from, 'one'));
  t.equal(await delivered(h, h.text(from, 'two')), first, 'queued chat: joins');
  await acceptedBy(h, 'alice', first);
  t.equal(await delivered(h, h.text(from, 'three')), first, 'active chat: joins');
  t.same(await h.customerTexts(first), ['one', 'two', 'three']);
  t.not(await delivered(h, h.text(newPhone(), 'other sender')), first, 'another sender: another chat');

  await h.center.disconnect('alice', first);
  const second = await delivered(h, h.text(from, 'hello again'));
  t.not(second, first, 'a new chat');
  t.same(await h.customerTexts(second), ['hello again']);
  t.equal(h.open(second)!.state, 'queued');
});

t.test('a repeated id is accepted once, even when the copies arrive together', async (t) => {
  const h = await makeDesk();
  const sms = h.text(newPhone(), 'only once');
  const id = await delivered(h, sms);
  t.same(await h.desk.receive(sms), { status: 'duplicate' });
  const again = h.text(sms.from, 'twice at once');
  const results = await Promise.all([h.desk.receive(again), h.desk.receive({ ...again })]);
  t.same(results.map((r) => r.status).sort(), ['delivered', 'duplicate']);
  t.same(await h.customerTexts(id), ['only once', 'twice at once']);
});

t.test('a text to a number we do not have, a malformed number, an empty text: refused, nothing stored', async (t) => {
  const h = await makeDesk();
  const from = newPhone();
  await expectDomainError(t, h.desk.receive(h.text(from, 'hi', { to: '+15550001111' })), 'not_found', 'unknown_number');
  await expectDomainError(t, h.desk.receive(h.text('5551234', 'hi')), 'invalid', 'invalid_number');
  await expectDomainError(t, h.desk.receive(h.text(from, '   ')), 'invalid', 'empty_text');
  await expectDomainError(t, h.desk.receive(h.text(from, 'x', { concat: { ref: 1, part: 3, total: 2 } })), 'invalid', 'invalid_concat');
  await expectDomainError(t, h.desk.receive(h.text(from, '\u0000 \u0000')), 'invalid', 'empty_text', 'nothing but U+0000 and spaces');
  t.equal(h.center.openInteractions().length, 0);
  t.equal(h.store.inbound.size, 0);
});

t.test('U+0000 in a text (a whole one or a part) is dropped, the text kept: a refusal would lose it for good', async (t) => {
  const h = await makeDesk();
  const from = newPhone();
  const whole = await h.desk.receive(h.text(from, 'my car\u0000 is stuck'));
  t.equal(whole.status, 'delivered');
  const id = (whole as { interactionId: string }).interactionId;
  await h.desk.receive(h.text(from, 'first half,\u0000', { concat: { ref: 7, part: 1, total: 2 } }));
  await h.desk.receive(h.text(from, ' second\u0000 half', { concat: { ref: 7, part: 2, total: 2 } }));
  t.same(await h.customerTexts(id), ['my car is stuck', 'first half, second half']);
});

t.test('a text into an SMS chat as long as a chat can be opens the next chat; the full one stays with its agent', async (t) => {
  const h = await makeDesk({ maxChatEntries: 10 });
  const from = newPhone();
  const first = await delivered(h, h.text(from, 'one'));
  await acceptedBy(h, 'alice', first);
  let n = 1;
  while (h.open(first)!.lastSeq < 10) t.equal(await delivered(h, h.text(from, `text ${++n}`)), first, `room left: text ${n} in the same chat`);
  const next = await delivered(h, h.text(from, 'past the end'));
  t.not(next, first, 'full: a new chat');
  t.same(await h.customerTexts(next), ['past the end'], 'with the text');
  t.equal(await delivered(h, h.text(from, 'and after')), next, 'the texts after it go there too');
  t.equal(h.open(first)?.state, 'active', 'the full chat goes on with its agent');
});

t.test('two texts a moment apart are shown in the order they came, however fast the directory answers each', async (t) => {
  const h = await makeDesk();
  const from = newPhone();
  const getService = h.directory.getService.bind(h.directory);
  let calls = 0;
  // The first look-up answers last, as a database on another pool connection may.
  h.directory.getService = async (id) => {
    if (++calls === 1) await new Promise((resolve) => setTimeout(resolve, 30));
    return getService(id);
  };
  const [first] = await Promise.all([h.desk.receive(h.text(from, 'Hi')), h.desk.receive(h.text(from, 'my car broke down'))]);
  t.same(await h.customerTexts((first as { interactionId: string }).interactionId), ['Hi', 'my car broke down']);
});

t.test('a configured number that is not E.164 fails at once', async (t) => {
  t.throws(() => {
    new SmsDesk({
      center: {} as ContactCenter,
      events: new DomainEvents(() => {}),
      store: new MemorySmsStore(new MemoryInteractionStore()),
      clock: new ManualClock(),
      timers: new ManualClock(),
      numbers: { '5550009000': 'roadside' },
      partWaitMs: 1000,
      senders: {},
      onError: () => {},
    });
  }, /E\.164/);
});

// ---- long texts --------------------------------------------------------------------------------------

t.test('concatenated parts out of order and twice: one message, whole and in order', async (t) => {
  const h = await makeDesk();
  const from = newPhone();
  const parts = ['The engine stopped ', 'on the A1 near ', 'exit 12, please help.'];
  const part = (n: number, id = `ref9-${n}`) => h.text(from, parts[n - 1]!, { id, concat: { ref: 9, part: n, total: 3 } });
  t.same(await h.desk.receive(part(3)), { status: 'part_stored' });
  t.same(await h.desk.receive(part(1)), { status: 'part_stored' });
  t.same(await h.desk.receive(part(3)), { status: 'duplicate' }, 'same id again');
  t.same(await h.desk.receive(part(1, 'resent-with-new-id')), { status: 'duplicate' }, 'same part, new id');
  t.equal(h.center.openInteractions().length, 0, 'no chat before the text is whole');
  const id = await delivered(h, part(2));
  t.same(await h.customerTexts(id), [parts.join('')]);
  t.same(await h.desk.receive(part(2, 'late-copy')), { status: 'duplicate' }, 'a copy after completion');
  t.same(await h.customerTexts(id), [parts.join('')]);
  t.notOk([...h.store.inbound.values()].some((r) => r.pending), 'no part left pending');
});

t.test('a 1,600-character text in 11 parts is shown whole', async (t) => {
  const h = await makeDesk();
  const from = newPhone();
  const long = Array.from({ length: 1600 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
  const chunks = Array.from({ length: 11 }, (_, i) => long.slice(i * 153, (i + 1) * 153));
  const order = [5, 0, 10, 3, 1, 9, 2, 8, 4, 7, 6];
  let result;
  for (const i of order) result = await h.desk.receive(h.text(from, chunks[i]!, { concat: { ref: 200, part: i + 1, total: 11 } }));
  t.equal(result?.status, 'delivered');
  const id = result?.status === 'delivered' ? result.interactionId! : '';
  const [message] = await h.customerTexts(id);
  t.equal(message?.length, 1600);
  t.equal(message, long);
});

t.test('a text longer than one chat message, from a gateway with long ids, is shown whole in two messages', async (t) => {
  const h = await makeDesk();
  const from = newPhone();
  // 60 parts of 153 characters: 9,180, past the 8,000 of one chat message; the gateway's ids as long as
  // the webhook takes (96), so the second message's own id (`sms:<id>#2`) is longer than an app's may be.
  const long = Array.from({ length: 60 * 153 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
  let result;
  for (let i = 0; i < 60; i++) {
    const id = `${String(i).padStart(2, '0')}${'g'.repeat(94)}`;
    result = await h.desk.receive(h.text(from, long.slice(i * 153, (i + 1) * 153), { id, concat: { ref: 201, part: i + 1, total: 60 } }));
  }
  t.equal(result?.status, 'delivered');
  const texts = await h.customerTexts(result?.status === 'delivered' ? result.interactionId! : '');
  t.equal(texts.length, 2, 'two messages');
  t.equal(texts.join(''), long, 'nothing lost');
});

t.test('a missing part: after the wait the text is shown with a gap marker; the late part follows on its own', async (t) => {
  const h = await makeDesk();
  const from = newPhone();
  await h.desk.receive(h.text(from, 'Flat tyre', { concat: { ref: 3, part: 1, total: 3 } }));
  await h.desk.receive(h.text(from, 'bring a jack', { concat: { ref: 3, part: 3, total: 3 } }));
  h.clock.advance(29_999);
  await h.desk.settled();
  t.equal(h.center.openInteractions().length, 0, 'still waiting');
  h.clock.advance(1);
  await h.desk.settled();
  const [rec] = h.center.openInteractions();
  t.ok(rec, 'the chat opened with what arrived');
  t.same(await h.customerTexts(rec!.id), [`Flat tyre ${gapMarker(2, 3)} bring a jack`]);
  const late = await h.desk.receive(h.text(from, 'on the M4,', { concat: { ref: 3, part: 2, total: 3 } }));
  t.same(late, { status: 'delivered', interactionId: rec!.id });
  t.same(await h.customerTexts(rec!.id), [`Flat tyre ${gapMarker(2, 3)} bring a jack`, '[…late part 2 of 3…] on the M4,']);
  t.same(h.errors, []);
});

t.test('a long text completed while its service is disabled: refused, and its parts wait no more', async (t) => {
  const h = await makeDesk({ services: SERVICES.map((s) => ({ ...s, disabled: true })) });
  const from = newPhone();
  t.same(await h.desk.receive(h.text(from, 'one ', { concat: { ref: 8, part: 1, total: 2 } })), { status: 'part_stored' });
  await expectDomainError(t, h.desk.receive(h.text(from, 'two', { concat: { ref: 8, part: 2, total: 2 } })), 'conflict', 'service_disabled');
  t.same(await h.store.pendingParts(), []);
});

t.test('a sender flooding parts of texts that never complete: a few wait, the rest reach the chat at once, each short', async (t) => {
  const h = await makeDesk();
  const from = newPhone();
  for (let ref = 0; ref < 300; ref++) await h.desk.receive(h.text(from, 'x', { concat: { ref, part: 1, total: 255 } }));
  await h.desk.settled();
  t.equal(h.desk.pendingTexts, 10, 'ten texts of one sender wait');
  t.equal((await h.store.pendingParts()).length, 10, 'and only their parts are kept as waiting');
  const [chat] = h.center.openInteractions();
  const shown = await h.customerTexts(chat!.id);
  t.equal(shown.length, 290, 'the older ones were shown early, in one chat');
  t.ok(shown.every((text) => text === `x ${gapMarker(2, 255, 255)}`), 'each with one marker for its missing parts');
  t.same(h.errors, []);
});

// ---- replies -----------------------------------------------------------------------------------------

t.test('agent replies go out as SMS from the number the customer texted, with their segment count and status', async (t) => {
  const h = await makeDesk();
  const from = newPhone();
  const id = await delivered(h, h.text(from, 'help'));
  await acceptedBy(h, 'alice', id);
  h.sender.answer = async () => ({ status: 'queued' });
  const long = 'A tow truck is on its way. '.repeat(8);
  const entry = await h.center.postAgentMessage('alice', id, long);
  const emoji = await h.center.postAgentMessage('alice', id, 'See you soon 🚗');
  await h.desk.settled();
  t.same(h.sender.sent, [
    { id: entry.id, from: ROADSIDE_NO, to: from, text: long, segments: 2 },
    { id: emoji.id, from: ROADSIDE_NO, to: from, text: 'See you soon 🚗', segments: 1 },
  ]);
  const d = await h.desk.deliveries(id);
  t.match(d.get(entry.id), { status: 'queued', segments: 2, encoding: 'GSM-7', to: from, from: ROADSIDE_NO });
  t.match(d.get(emoji.id), { status: 'queued', segments: 1, encoding: 'UCS-2' });

  t.match(await h.desk.onDeliveryStatus(entry.id, 'delivered'), { status: 'delivered' });
  t.match(await h.desk.onDeliveryStatus(entry.id, 'sent'), { status: 'delivered' }, 'a late report does not undo delivered');
  t.match(await h.desk.onDeliveryStatus(emoji.id, 'sent'), { status: 'sent' });
  t.match(await h.desk.onDeliveryStatus(emoji.id, 'undelivered', 'handset off'), { status: 'undelivered', detail: 'handset off' });
  t.match(await h.desk.onDeliveryStatus(emoji.id, 'sent'), { status: 'undelivered' }, 'final stays final');
  await expectDomainError(t, h.desk.onDeliveryStatus('no-such-id', 'delivered'), 'not_found', 'unknown_message');
});

t.test('a send the gateway refused is not sent; without a gateway replies are marked not sent', async (t) => {
  const h = await makeDesk();
  const id = await delivered(h, h.text(newPhone(), 'help'));
  await acceptedBy(h, 'alice', id);
  h.sender.answer = async () => {
    throw new SmsSendRefused('SMS gateway answered HTTP 400: unknown number');
  };
  const entry = await h.center.postAgentMessage('alice', id, 'On our way');
  await h.desk.settled();
  t.match((await h.desk.deliveries(id)).get(entry.id), { status: 'failed', detail: 'SMS gateway answered HTTP 400: unknown number' }, 'at once: tried again it would be refused again');
  t.match(await h.desk.onDeliveryStatus(entry.id, 'delivered'), { status: 'delivered' }, 'a delivery receipt still wins');

  h.sender.answer = async () => ({ status: 'ok-ish' });
  const odd = await h.center.postAgentMessage('alice', id, 'Odd answer');
  await h.desk.settled();
  t.match((await h.desk.deliveries(id)).get(odd.id), { status: 'accepted', detail: 'gateway answered "ok-ish"' });

  const bare = await makeDesk({ senders: 'none' });
  const other = await delivered(bare, bare.text(newPhone(), 'help'));
  await acceptedBy(bare, 'alice', other);
  const e = await bare.center.postAgentMessage('alice', other, 'hello');
  await bare.desk.settled();
  t.match((await bare.desk.deliveries(other)).get(e.id), { status: 'failed', detail: 'No webhook SMS gateway is configured.' });
  t.same(h.errors, []);
});

// The clock moves on by each wait in turn, each send finishing before the next.
async function waitsPass(h: Awaited<ReturnType<typeof makeDesk>>, waits: readonly number[]) {
  for (const ms of waits) {
    await new Promise((resolve) => setImmediate(resolve));
    h.clock.advance(ms);
  }
  await h.desk.settled();
}

// An SMS chat alice accepted, and a gateway that answers each try (counted from 1) as `answer` says.
async function chatWithGateway(answer: (tryNumber: number) => Promise<{ status: string }>) {
  const h = await makeDesk();
  const id = await delivered(h, h.text(newPhone(), 'help'));
  await acceptedBy(h, 'alice', id);
  let tries = 0;
  h.sender.answer = () => answer(++tries);
  return { h, id, tries: () => tries };
}

const noAnswer = async (): Promise<{ status: string }> => {
  throw new Error('SMS gateway unreachable: no answer within 10000 ms');
};

t.test('a send that may pass (no answer, HTTP 500) is tried again under the same id; the next reply waits behind it', async (t) => {
  const { h, id } = await chatWithGateway(async (n) => {
    if (n <= 2) throw new Error('SMS gateway answered HTTP 503');
    return { status: 'accepted' };
  });
  const before = h.sender.sent.length;
  const first = await h.center.postAgentMessage('alice', id, 'On our way');
  const second = await h.center.postAgentMessage('alice', id, 'Ten minutes');
  await waitsPass(h, SEND_RETRY_MS.slice(0, 2));
  t.same(h.sender.sent.slice(before).map((sms) => sms.id), [first.id, first.id, first.id, second.id], 'the first text three times, under its id, then the second: in order');
  t.match((await h.desk.deliveries(id)).get(first.id), { status: 'accepted' });
  t.match((await h.desk.deliveries(id)).get(second.id), { status: 'accepted' });

  // No answer ever: failed after the last wait.
  h.sender.answer = noAnswer;
  const lost = await h.center.postAgentMessage('alice', id, 'Are you there?');
  await waitsPass(h, SEND_RETRY_MS);
  t.match((await h.desk.deliveries(id)).get(lost.id), { status: 'failed', detail: /no answer/ });
});

t.test("a gateway's report during the waits settles the send: it is not sent again", async (t) => {
  const { h, id, tries } = await chatWithGateway(noAnswer);
  const entry = await h.center.postAgentMessage('alice', id, 'On our way');
  await new Promise((resolve) => setImmediate(resolve));
  await h.desk.onDeliveryStatus(entry.id, 'sent'); // it had the text after all
  await waitsPass(h, SEND_RETRY_MS);
  t.equal(tries(), 1, 'sent once');
  t.match((await h.desk.deliveries(id)).get(entry.id), { status: 'sent' });
});

t.test('only agent messages of SMS chats are sent', async (t) => {
  const h = await makeDesk();
  h.center.setPresence('alice', 'make_ready');
  const { interaction } = await h.center.startChat({ serviceId: 'roadside', channel: 'web', customer: { name: 'Web user', phone: newPhone() } });
  await h.center.accept('alice', interaction.id);
  await h.center.postAgentMessage('alice', interaction.id, 'web reply');
  const id = await delivered(h, h.text(newPhone(), 'sms customer'));
  await h.desk.settled();
  t.same(h.sender.sent, [], 'no web reply, no customer text');
  t.equal((await h.desk.deliveries(id)).size, 0);
});

t.test("an ended SMS chat's route is no longer held by the desk (read from the store when needed); an open one's is", async (t) => {
  const h = await makeDesk({ ratings: true });
  const from = newPhone();
  const id = await endedSmsChat(h, from, 'Flat tyre');
  t.match(h.sender.sent.at(-1), { to: from, from: ROADSIDE_NO, text: RATING_PROMPT }, 'the rating question still goes out by its route');
  const open = await delivered(h, h.text(newPhone(), 'Battery dead'));
  let reads = 0;
  const getRoute = h.store.getRoute.bind(h.store);
  h.store.getRoute = (interactionId) => {
    reads += 1;
    return getRoute(interactionId);
  };
  t.match(await h.desk.routeOf((await h.interactions.getInteraction(id))!), { customerNumber: from, serviceNumber: ROADSIDE_NO });
  t.equal(reads, 1, 'the ended chat: read from the store, not held');
  await h.desk.routeOf(h.open(open)!);
  t.equal(reads, 1, 'the open chat: held');
});

// ---- rating ------------------------------------------------------------------------------------------
t.test('an ended SMS chat asks for a 1-5 reply; the reply is its rating, once; other texts open a chat', async (t) => {
  const h = await makeDesk({ ratings: true });
  const from = newPhone();
  const id = await endedSmsChat(h, from, 'Flat tyre');
  t.match(h.sender.sent.at(-1), { to: from, from: ROADSIDE_NO, text: RATING_PROMPT }, 'the question goes to the customer');
  t.same(await delivered(h, h.text(from, ' 4 stars')), id, 'the reply rates the ended chat');
  t.match(h.closures.ratings.get(id), { score: 4, serviceId: 'roadside' });
  t.equal((await h.center.timeline(id)).filter((e) => e.kind === 'rating').length, 1, 'on its timeline');
  const next = await delivered(h, h.text(from, '5'));
  t.not(next, id, 'a second score is a message of a new chat');
  t.equal(h.closures.ratings.get(id)?.score, 4, 'the rating stands');
  t.same(h.errors, []);
});

t.test('a score whose text could not be marked received is a rating again when the gateway retries it, not a new chat', async (t) => {
  const h = await makeDesk({ ratings: true });
  const from = newPhone();
  const id = await endedSmsChat(h, from, 'Flat tyre');
  const markSeen = h.store.markSeen.bind(h.store);
  h.store.markSeen = () => Promise.reject(new Error('the store is briefly unavailable'));
  const score = h.text(from, '5');
  await t.rejects(h.desk.receive(score), /briefly unavailable/, 'the gateway is answered with a failure, and retries');
  h.store.markSeen = markSeen;
  t.same(await delivered(h, score), id, 'the retry is the rating again');
  t.equal(h.center.openInteractions().length, 0, 'no chat was opened for it');
  t.equal(h.closures.ratings.get(id)?.score, 5);
});

t.test('a text that is not a score, or a score after the question lapsed, opens a chat', async (t) => {
  const h = await makeDesk({ ratings: true });
  const from = newPhone();
  const id = await endedSmsChat(h, from, 'Hello');
  const thanks = await delivered(h, h.text(from, 'thanks a lot'));
  t.not(thanks, id);
  t.equal(h.closures.ratings.size, 0);
  await h.center.endByCustomer(thanks);
  const other = newPhone();
  const second = await endedSmsChat(h, other, 'Hi');
  h.clock.advance(RATING_REPLY_WINDOW_MS + 1);
  t.not(await delivered(h, h.text(other, '5')), second, 'too late: a new chat');
  t.equal(h.closures.ratings.size, 0);
});

t.test('a "Thanks!" crossing the question leaves it standing: the score after it rates the ended chat, until an agent accepts the new one', async (t) => {
  const h = await makeDesk({ ratings: true });
  const from = newPhone();
  const id = await endedSmsChat(h, from, 'Flat tyre');
  const thanks = await delivered(h, h.text(from, 'Thanks!'));
  t.not(thanks, id, 'the text opens a new chat');
  t.same(await delivered(h, h.text(from, '5')), id, 'the score that answers the question rates the ended chat');
  t.equal(h.closures.ratings.get(id)?.score, 5);
  t.same(await h.customerTexts(thanks), ['Thanks!'], 'and is not a message of the new chat');
  await h.center.endByCustomer(thanks);

  const other = newPhone();
  const ended = await endedSmsChat(h, other, 'Battery');
  const next = await delivered(h, h.text(other, 'one more thing'));
  await acceptedBy(h, 'alice', next);
  await h.desk.settled();
  t.equal(await delivered(h, h.text(other, '4')), next, 'once an agent accepted the new chat, a score is its message');
  t.notOk(h.closures.ratings.has(ended), 'and rates nothing');
});

t.test("a score the chat got as a message (its seen id was not stored), sent again once the chat ended, is not that chat's rating", async (t) => {
  const h = await makeDesk({ ratings: true });
  const from = newPhone();
  const id = await delivered(h, h.text(from, 'How many passengers? Flat tyre'));
  await acceptedBy(h, 'alice', id);
  const markSeen = h.store.markSeen.bind(h.store);
  h.store.markSeen = () => Promise.reject(new Error('the store is briefly unavailable'));
  const three = h.text(from, '3');
  await t.rejects(h.desk.receive(three), /briefly unavailable/, 'shown in the chat, but the gateway is told to send it again');
  h.store.markSeen = markSeen;
  await h.center.disconnect('alice', id);
  await h.desk.settled();
  t.equal(await delivered(h, three), id, 'the retry is the message it was');
  t.notOk(h.closures.ratings.has(id), 'not a rating of 3');
  t.same(await h.customerTexts(id), ['How many passengers? Flat tyre', '3'], 'shown once');
});

t.test('a reply that only starts with a digit is a message: its text reaches an agent, it rates nothing', async (t) => {
  const h = await makeDesk({ ratings: true });
  const from = newPhone();
  const id = await endedSmsChat(h, from, 'Flat tyre');
  const text = '2 more things: the tow truck never came and nobody called';
  const next = await delivered(h, h.text(from, text));
  t.not(next, id, 'a new chat');
  t.same(await h.customerTexts(next), [text], 'with the whole text');
  t.equal(h.closures.ratings.size, 0, 'no rating of 2');
  for (const reply of ['5', ' 4 ', '3 stars', '5/5', '4!', '1 out of 5']) t.not(scoreOfReply(reply), null, `"${reply}" is a score`);
  for (const reply of ['5 more minutes please', '4pm is fine', '3. the engine', '12']) t.equal(scoreOfReply(reply), null, `"${reply}" is not`);
});

// Another writer stored the chat's next seq (a late commit of the previous leader): the text is not
// refused for good. Its parts stay stored, as after any failure that may pass, and the gateway is told
// to send again (its retry delivers the text: sms-desk-retries.test.ts).
t.test('a long text meeting a seq another writer took is kept, not dropped', async (t) => {
  const { interactions, sms, clock } = durable();
  const h = await makeDesk({ interactions, sms, clock });
  const from = newPhone();
  const id = await delivered(h, h.text(from, 'hello'));
  const rec = h.open(id)!;
  await interactions.appendEntry({ id: 'late', interactionId: id, seq: rec.lastSeq + 1, kind: 'message', author: 'customer', agentId: null, text: 'stored late', clientId: null, attachment: null, data: null, createdAt: 0 });
  await h.desk.receive(h.text(from, 'part one ', { id: 'p1', concat: { ref: 9, part: 1, total: 2 } }));
  const answer = await h.desk.receive(h.text(from, 'part two', { id: 'p2', concat: { ref: 9, part: 2, total: 2 } })).catch((err: unknown) => err);
  t.match(answer, { kind: 'unavailable', code: 'seq_taken' }, 'the gateway is told to send again (503)');
  t.same((await sms.pendingParts()).map((p) => p.id).sort(), ['p1', 'p2'], 'both parts kept');
});

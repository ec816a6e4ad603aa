// The store contract, continued (store-contract.ts runs these): what the SMS store, the SIP credential
// store and the attachment store promise, whatever the engine behind them.
import type { Test } from 'tap';
import { ratingQuestionId, type SmsDelivery, type StoredPart } from '../../src/domain/sms-ports.ts';
import type { OpenedStore } from './store-contract.ts';
import { entry, record } from './store-contract.ts';

export type Fresh = (t: Test) => Promise<OpenedStore & { reopen(): Promise<OpenedStore>; sql(statement: string): Promise<void> }>;

const T0 = 1_700_000_000_000;

const part = (id: string, n: number, overrides: Partial<StoredPart> = {}): StoredPart => ({
  id,
  from: '+15551230000',
  to: '+15550009000',
  gateway: 'webhook',
  receivedAt: T0 + n,
  ref: 7,
  total: 3,
  part: n,
  text: `part ${n} `,
  ...overrides,
});

const delivery = (id: string, overrides: Partial<SmsDelivery> = {}): SmsDelivery => ({
  id,
  interactionId: 'sms-chat',
  from: '+15550009000',
  to: '+15551230000',
  segments: 1,
  encoding: 'GSM-7',
  status: 'sending',
  detail: null,
  updatedAt: T0,
  ...overrides,
});

const byId = (list: SmsDelivery[]) => [...list].sort((a, b) => a.id.localeCompare(b.id));

// Every byte value, so an encoding that mangles any of them shows.
const BYTES = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7 + (i >> 8)) % 256);

export function channelContracts(t: Test, fresh: Fresh): void {
  t.test('SMS: an inbound id is seen once, for good; waiting parts are kept with their text until finished', async (t) => {
    const db = await fresh(t);
    const sms = db.smsStore;
    t.equal(await sms.isSeen('in-1'), false, 'an id never stored is new');
    await sms.markSeen({ id: 'in-1', from: '+15551230000', to: '+15550009000', receivedAt: T0, gateway: 'webhook' });
    await sms.markSeen({ id: 'in-1', from: '+15551230000', to: '+15550009000', receivedAt: T0 + 5, gateway: 'sip' });
    t.equal(await sms.isSeen('in-1'), true, 'seen, and a repeat changes nothing');
    t.same(await sms.pendingParts(), [], 'a seen whole text waits for nothing');

    // Parts arrive out of order, two in the same millisecond; a gateway retries one.
    const [p3, p1, p1b] = [part('p-3', 3, { receivedAt: T0 + 1 }), part('p-1', 1, { receivedAt: T0 + 2, gateway: 'sip', text: 'é ünïcode ' }), part('p-1b', 1, { receivedAt: T0 + 2, ref: 8 })];
    for (const p of [p3, p1, p1b]) await sms.savePart(p);
    await sms.savePart({ ...p3, text: 'the retry' });
    t.equal(await sms.isSeen('p-1'), true, 'a waiting part is seen');
    t.same(await sms.pendingParts(), [p3, p1, p1b], 'every field, in arrival order, the retry ignored');

    t.same(await sms.pendingGroup(p3), [p3, p1], "one text's parts, not those of another reference");
    t.same(await sms.pendingGroup({ ...p3, total: 4 }), [], 'nor those of another total');
    await sms.finishParts(['p-3', 'p-1']);
    t.same(await sms.pendingParts(), [p1b], 'finished parts wait no more');
    t.same(await sms.pendingGroup(p3), []);
    t.equal(await sms.isSeen('p-3'), true, 'and stay seen');
    await sms.finishParts([]);

    const again = await db.reopen();
    t.equal(await again.smsStore.isSeen('in-1'), true, 'seen after the store is opened again');
    t.same(await again.smsStore.pendingParts(), [p1b], 'the waiting part too, with its text');
  });

  t.test('SMS: seen ids received before a time are forgotten, parts still waiting for the chat kept', async (t) => {
    const db = await fresh(t);
    const sms = db.smsStore;
    const seen = (id: string, receivedAt: number) => sms.markSeen({ id, from: '+15551230000', to: '+15550009000', receivedAt, gateway: 'webhook' });
    await seen('old', T0 - 10);
    await seen('edge', T0);
    await seen('young', T0 + 10);
    const [waiting, finished] = [part('waiting', 1, { receivedAt: T0 - 20 }), part('finished', 2, { receivedAt: T0 - 20 })];
    for (const p of [waiting, finished]) await sms.savePart(p);
    await sms.finishParts(['finished']);
    t.equal(await sms.forgetSeenBefore(T0), 2, 'the old id and the finished part');
    t.same(await Promise.all(['old', 'finished', 'edge', 'young', 'waiting'].map((id) => sms.isSeen(id))), [false, false, true, true, true], 'received at the time itself, or since, stays');
    t.same(await sms.pendingParts(), [waiting], 'a part not yet in the chat keeps its text');
    t.equal(await sms.forgetSeenBefore(T0), 0, 'a second sweep finds nothing');
    await seen('old', T0 + 20);
    t.equal(await sms.isSeen('old'), true, 'a forgotten id can be stored again');
  });

  t.test('SMS: a chat\'s route and its replies\' delivery statuses are saved, updated and read back', async (t) => {
    const db = await fresh(t);
    await db.store.saveInteraction(record('sms-chat', { channel: 'sms' }));
    await db.store.saveInteraction(record('sms-other', { channel: 'sms' }));
    const sms = db.smsStore;
    t.equal(await sms.getRoute('sms-chat'), undefined);
    const route = { interactionId: 'sms-chat', customerNumber: '+15551230000', serviceNumber: '+15550009000', gateway: 'webhook' as const, createdAt: T0 };
    await sms.saveRoute(route);
    t.same(await sms.getRoute('sms-chat'), route, 'every field comes back');
    await sms.saveRoute({ ...route, serviceNumber: '+15550009001', gateway: 'sip', customerNumber: '+19999999999', createdAt: T0 + 9 });
    t.same(await sms.getRoute('sms-chat'), { ...route, serviceNumber: '+15550009001', gateway: 'sip' }, 'saved again: its number and gateway change, the customer and the start stay');
    await t.rejects(sms.saveRoute({ ...route, interactionId: 'never-saved' }), 'a route of an interaction never saved is refused');

    const first = delivery('out-1');
    const second = delivery('out-2', { segments: 3, encoding: 'UCS-2', status: 'queued', updatedAt: T0 + 1 });
    await Promise.all([sms.saveDelivery(first), sms.saveDelivery(second), sms.saveDelivery(delivery('out-3', { interactionId: 'sms-other' }))]);
    t.same(await sms.getDelivery('out-2'), second, 'every field comes back');
    t.equal(await sms.getDelivery('no-such'), undefined);
    const failed = { ...first, status: 'failed' as const, detail: 'gateway said no', updatedAt: T0 + 2, segments: 2, encoding: 'UCS-2' as const };
    await sms.saveDelivery(failed);
    t.same(await sms.getDelivery('out-1'), failed, 'saved again: status, detail, time and segments change');
    t.same(byId(await sms.listDeliveries('sms-chat')), [failed, second], 'a chat\'s deliveries, not another\'s');
    t.same(await sms.listDeliveries('sms-none'), []);

    const again = await db.reopen();
    t.same(await again.smsStore.getRoute('sms-chat'), { ...route, serviceNumber: '+15550009001', gateway: 'sip' }, 'after the store is opened again');
    t.same(byId(await again.smsStore.listDeliveries('sms-chat')), [failed, second]);
  });

  t.test("SMS: the chat of a conversation that holds a text's client id is found, ended or not, among those opened since a time", async (t) => {
    const db = await fresh(t);
    const customer = '+15551230000';
    const ours = '+15550009000';
    const chats = [
      { id: 'sms-old', createdAt: T0, customerNumber: customer, serviceNumber: ours },
      { id: 'sms-new', createdAt: T0 + 10, customerNumber: customer, serviceNumber: ours },
      { id: 'sms-elsewhere', createdAt: T0 + 20, customerNumber: customer, serviceNumber: '+15550009001' },
    ];
    for (const c of chats) {
      await db.store.saveInteraction(record(c.id, { channel: 'sms', state: c.id === 'sms-new' ? 'queued' : 'ended', createdAt: c.createdAt }));
      await db.smsStore.saveRoute({ interactionId: c.id, customerNumber: c.customerNumber, serviceNumber: c.serviceNumber, gateway: 'webhook', createdAt: c.createdAt });
      await db.store.appendEntry(entry(c.id, 1, { clientId: `sms:in-${c.id}` }));
      await db.store.appendEntry(entry(c.id, 2, { clientId: 'sms:in-shared' }));
    }
    const conversation = { customerNumber: customer, serviceNumber: ours };
    t.equal(await db.smsStore.chatHolding(conversation, 'sms:in-sms-old', T0), 'sms-old', 'an ended chat that holds it');
    t.equal(await db.smsStore.chatHolding(conversation, 'sms:in-sms-new', T0), 'sms-new', 'an open one');
    t.equal(await db.smsStore.chatHolding(conversation, 'sms:in-shared', T0), 'sms-new', 'held by two: the newest');
    t.equal(await db.smsStore.chatHolding(conversation, 'sms:in-sms-old', T0 + 1), undefined, 'not one opened before the time');
    t.equal(await db.smsStore.chatHolding(conversation, 'sms:in-sms-elsewhere', T0), undefined, 'not a chat with another of our numbers');
    t.equal(await db.smsStore.chatHolding({ ...conversation, customerNumber: '+19999999999' }, 'sms:in-sms-old', T0), undefined, 'nor with another customer');
    t.equal(await db.smsStore.chatHolding(conversation, 'sms:in-never', T0), undefined, 'a client id no chat holds');
  });

  t.test('SMS: the texts still sending are found, of every chat, oldest first, until the gateway answers', async (t) => {
    const db = await fresh(t);
    for (const id of ['sms-chat', 'sms-other']) await db.store.saveInteraction(record(id, { channel: 'sms' }));
    await db.store.saveInteraction(record('sms-ended', { channel: 'sms', state: 'ended', endedAt: T0 + 5, endedBy: 'agent' }));
    const sms = db.smsStore;
    t.same(await sms.sendingDeliveries(), [], 'none yet');
    const hung = delivery('out-2', { interactionId: 'sms-ended', updatedAt: T0 + 2 });
    const older = delivery('out-1', { interactionId: 'sms-other', updatedAt: T0 + 1 });
    const answered = delivery('out-3', { updatedAt: T0 + 3 });
    for (const d of [hung, older, answered]) await sms.saveDelivery(d);
    await sms.saveDelivery({ ...answered, status: 'accepted', updatedAt: T0 + 4 });
    t.same(await sms.sendingDeliveries(), [older, hung], 'every field, oldest first; an answered one is not');
    const again = await db.reopen();
    t.same(await again.smsStore.sendingDeliveries(), [older, hung], 'after the store is opened again');
  });

  t.test('SMS: the rating questions of chats that ended since a time are found by their end, oldest first', async (t) => {
    const db = await fresh(t);
    const ended = (id: string, endedAt: number) => record(id, { channel: 'sms', state: 'ended', endedAt, endedBy: 'agent' });
    for (const rec of [ended('sms-b', T0 + 20), ended('sms-a', T0 + 10), ended('sms-old', T0 - 1), ended('sms-unasked', T0 + 30), record('sms-open', { channel: 'sms' })]) {
      await db.store.saveInteraction(rec);
    }
    const sms = db.smsStore;
    for (const id of ['sms-b', 'sms-a', 'sms-old', 'sms-open']) await sms.saveDelivery(delivery(ratingQuestionId(id), { interactionId: id, from: '+15550009000', to: `+1555123${id.length}000`, updatedAt: T0 + 40 }));
    await sms.saveDelivery(delivery('a-reply', { interactionId: 'sms-unasked' }));
    const asked = (id: string, askedAt: number) => ({ interactionId: id, customerNumber: `+1555123${id.length}000`, serviceNumber: '+15550009000', askedAt });
    t.same(await sms.ratingQuestionsSince(T0), [asked('sms-a', T0 + 10), asked('sms-b', T0 + 20)], 'asked when the chat ended; not before since, not a chat never asked, not an open one');
    t.same(await sms.ratingQuestionsSince(T0 + 11), [asked('sms-b', T0 + 20)]);
    const again = await db.reopen();
    t.same(await again.smsStore.ratingQuestionsSince(T0 - 1), [asked('sms-old', T0 - 1), asked('sms-a', T0 + 10), asked('sms-b', T0 + 20)], 'after the store is opened again');
  });

  t.test('SIP credentials: a digest per endpoint, replaced, removed, kept across a reopen', async (t) => {
    const db = await fresh(t);
    const creds = db.sipCredentials;
    t.equal(await creds.digest('agent1'), undefined, 'none yet');
    await Promise.all([creds.setDigest('agent1', 'a'.repeat(32)), creds.setDigest('agent1-desk', 'b'.repeat(32))]);
    t.equal(await creds.digest('agent1'), 'a'.repeat(32));
    await creds.setDigest('agent1', 'c'.repeat(32));
    t.equal(await creds.digest('agent1'), 'c'.repeat(32), 'a new digest replaces the old');
    await creds.remove('agent1');
    await creds.remove('no-such-endpoint');
    t.equal(await creds.digest('agent1'), undefined, 'removed');
    const again = await db.reopen();
    t.equal(await again.sipCredentials.digest('agent1-desk'), 'b'.repeat(32), 'another endpoint\'s digest stays, across a reopen');
    t.equal(await again.sipCredentials.digest('agent1'), undefined);
  });

  t.test('attachments: the bytes saved are the bytes read, across a reopen; an unknown id is ENOENT', async (t) => {
    const db = await fresh(t);
    const ids = ['0a1b2c3d-0000-4000-8000-000000000001', '0a1b2c3d-0000-4000-8000-000000000002', '0a1b2c3d-0000-4000-8000-000000000003'];
    const small = Uint8Array.from([0, 255, 1, 254, 0x89, 0x50, 0x4e, 0x47]);
    // A view into a larger buffer: only its own bytes are the photo.
    const view = new Uint8Array(BYTES.buffer, 1000, 5000);
    await Promise.all([db.attachments.save(ids[0]!, BYTES), db.attachments.save(ids[1]!, small), db.attachments.save(ids[2]!, view)]);
    t.same(await db.attachments.read(ids[0]!), Buffer.from(BYTES), 'every byte');
    t.same(await db.attachments.read(ids[1]!), Buffer.from(small));
    t.same(await db.attachments.read(ids[2]!), Buffer.from(BYTES.subarray(1000, 6000)), 'a view: its own bytes only');
    await t.rejects(db.attachments.read('0a1b2c3d-0000-4000-8000-00000000ffff'), { code: 'ENOENT' }, 'an id never saved');
    const again = await db.reopen();
    t.same(await again.attachments.read(ids[0]!), Buffer.from(BYTES), 'after the store is opened again');
  });
}

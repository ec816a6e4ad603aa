// The store's contract: what the domain relies on from its stores (interactions and their timeline,
// the directory here; SMS, SIP credentials and photos in store-contract-channels.ts), whatever the
// engine behind them. Every engine runs this same suite (test/integration/*-store-contract.test.ts).
import type { Test } from 'tap';
import type { InteractionRecord } from '../../src/domain/interaction.ts';
import type { TimelineEntry, TimelineKind } from '../../src/domain/timeline.ts';
import type { Stores } from '../../src/store/open-stores.ts';
import { interactionRecord } from '../helpers/fakes.ts';
import { channelContracts } from './store-contract-channels.ts';
import { closureContracts } from './store-contract-closure.ts';
import { historyContracts } from './store-contract-history.ts';
import { recordingContracts } from './store-contract-recordings.ts';

export type OpenedStore = Pick<Stores, 'store' | 'directory' | 'smsStore' | 'sipCredentials' | 'attachments' | 'recordings' | 'closures' | 'catchUpHistory' | 'close'>;

// `newDatabase` makes an empty database (a file, a schema) for one test and returns how to open a
// store on it; opening it again after a close reads the same database. `sql` runs a statement on it
// on a connection of its own, as another node (one on older code) would.
export type NewDatabase = (t: Test) => Promise<(() => Promise<OpenedStore>) & { sql(statement: string): Promise<void> }>;

const T0 = 1_700_000_000_000;

export const record = (id: string, overrides: Partial<InteractionRecord> = {}): InteractionRecord =>
  interactionRecord({ id, customer: { name: 'Ada', phone: '+15551230000' }, tokenHash: 'ab'.repeat(32), createdAt: T0, ...overrides });

export function entry(interactionId: string, seq: number, overrides: Partial<TimelineEntry> = {}): TimelineEntry {
  return {
    id: `${interactionId}-e${seq}`,
    interactionId,
    seq,
    kind: 'message',
    author: 'customer',
    agentId: null,
    text: `text ${seq}`,
    clientId: null,
    attachment: null,
    data: null,
    createdAt: T0 + seq,
    ...overrides,
  };
}

const seqs = (entries: TimelineEntry[]) => entries.map((e) => e.seq);
const ids = (entries: TimelineEntry[]) => entries.map((e) => e.id);

export function storeContract(t: Test, name: string, newDatabase: NewDatabase): Promise<unknown> {
  // Opens a store on a new database with the service the records refer to; closed after the test.
  async function fresh(t: Test): Promise<OpenedStore & { reopen(): Promise<OpenedStore>; sql(statement: string): Promise<void> }> {
    const open = await newDatabase(t);
    let current = await open();
    t.teardown(() => current.close());
    await current.directory.saveService({ id: 'roadside', name: 'Roadside Assistance', autoDial: false });
    return {
      ...current,
      sql: open.sql,
      async reopen() {
        await current.close();
        current = await open();
        return current;
      },
    };
  }

  return t.test(`store contract: ${name}`, async (t) => {
    t.test('interactions are saved, updated and read back: open ones, one by id, an agent\'s history, counts by state', async (t) => {
      const { store } = await fresh(t);
      const active = record('chat-active', {
        state: 'active',
        agentId: 'agent1',
        createdAt: T0 + 2,
        acceptedAt: T0 + 3,
        // Fields in the customer's order, which is not alphabetical nor by length.
        context: { fields: { plate: 'B-XY-123', colour: 'red', model: 'Golf', a: '1' }, location: { lat: 52.52, lon: 13.405, accuracyM: 8 } },
        callLegs: [
          { id: 'leg-1', interactionId: 'chat-active', serviceId: 'roadside', agentId: 'agent1', customerNumber: '+15551230000', state: 'released', mute: 'unmuted', startedAt: T0 + 4, answeredAt: T0 + 5, endedAt: T0 + 6, cause: 'normal' },
        ],
        video: { id: 'video-1', interactionId: 'chat-active', state: 'closed', requestedAt: T0 + 7, startedAt: T0 + 8, endedAt: T0 + 9, endedBy: 'customer' },
      });
      const queued = record('chat-queued', { createdAt: T0 + 1 });
      const endedEarly = record('chat-ended-1', { state: 'ended', agentId: 'agent1', endedAt: T0 + 10, endedBy: 'agent' });
      const endedLate = record('chat-ended-2', { state: 'ended', agentId: 'agent1', endedAt: T0 + 20, endedBy: 'customer' });
      const otherAgent = record('chat-ended-3', { state: 'ended', agentId: 'agent2', endedAt: T0 + 30, endedBy: 'agent' });
      await Promise.all([active, queued, endedEarly, endedLate, otherAgent].map((rec) => store.saveInteraction(rec)));

      t.same(await store.getInteraction('chat-active'), active, 'every field comes back as saved');
      t.same(Object.keys((await store.getInteraction('chat-active'))!.context.fields), ['plate', 'colour', 'model', 'a'], 'context fields in the order they were sent');
      t.equal(await store.getInteraction('no-such-chat'), undefined);
      // An id no store can hold (PostgreSQL refuses U+0000 in a text) fails alone: reads asked with it
      // in the same turn are answered.
      const [bad, good] = await Promise.allSettled([store.getInteraction('no-\u0000-chat'), store.getInteraction('chat-queued')]);
      t.ok(bad.status === 'rejected' || bad.value === undefined, 'an id with a NUL finds nothing');
      t.same(good, { status: 'fulfilled', value: queued }, 'and another asked with it is read');
      t.same((await store.loadOpenInteractions()).map((r) => r.id), ['chat-queued', 'chat-active'], 'open ones, oldest first');
      t.same((await store.listHistory('agent1', { limit: 10 })).map((r) => r.interaction.id), ['chat-ended-2', 'chat-ended-1'], 'ended ones of that agent, latest first');
      t.same((await store.listHistory('agent1', { limit: 1 })).map((r) => r.interaction.id), ['chat-ended-2'], 'at most `limit`');
      t.same(await store.countByState(), { queued: 1, offered: 0, active: 1, ended: 3 });

      await store.saveInteraction({ ...queued, state: 'offered', offeredTo: 'agent2', offeredAt: T0 + 40 });
      t.match(await store.getInteraction('chat-queued'), { state: 'offered', offeredTo: 'agent2', offeredAt: T0 + 40 }, 'saved again: updated');
      t.same(await store.countByState(), { queued: 0, offered: 1, active: 1, ended: 3 });
    });

    t.test('entries are listed in seq order, from a seq on, by kind, per interaction', async (t) => {
      const { store } = await fresh(t);
      await store.saveInteraction(record('chat-a'));
      await store.saveInteraction(record('chat-b'));
      const photo = entry('chat-a', 2, { kind: 'attachment', text: null, attachment: { attachmentId: 'att-1', contentType: 'image/png', size: 3, fileName: 'a.png' } });
      const accepted = entry('chat-a', 3, { kind: 'accepted', author: 'agent', agentId: 'agent1', text: null, data: { note: 'x', n: 1 } });
      // Written concurrently, out of seq order, interleaved with another chat.
      await Promise.all([
        store.appendEntry(accepted),
        store.appendEntry(entry('chat-b', 1)),
        store.appendEntry(entry('chat-a', 1, { clientId: 'c-1' })),
        store.appendEntry(photo),
        store.appendEntry(entry('chat-a', 4)),
      ]);
      const all = await store.listEntries('chat-a');
      t.same(seqs(all), [1, 2, 3, 4], 'in seq order');
      t.same(all[1], photo, 'an entry comes back as written');
      t.same(all[2], accepted);
      t.same(seqs(await store.listEntries('chat-a', { afterSeq: 2 })), [3, 4], 'after a seq');
      t.same(seqs(await store.listEntries('chat-a', { afterSeq: 4 })), [], 'after the last: none');
      const kinds: TimelineKind[] = ['attachment', 'accepted'];
      t.same(seqs(await store.listEntries('chat-a', { kinds })), [2, 3], 'of some kinds');
      t.same(seqs(await store.listEntries('chat-a', { afterSeq: 2, kinds })), [3], 'both');
      t.same(ids(await store.listEntries('chat-b')), ['chat-b-e1'], 'another chat\'s entries are its own');
      t.same(await store.listEntries('no-such-chat'), []);
    });

    t.test('the database keeps (interaction, seq) unique: a second entry with a stored seq is refused, not stored', async (t) => {
      const { store } = await fresh(t);
      await store.saveInteraction(record('chat-s'));
      await store.saveInteraction(record('chat-t'));
      await store.appendEntry(entry('chat-s', 1));
      await t.rejects(store.appendEntry(entry('chat-s', 1, { id: 'other', text: 'again' })), { code: 'seq_taken' }, 'after the first is stored (seq_taken: the domain reads the last seq again)');
      await store.appendEntry(entry('chat-t', 1));
      t.same(seqs(await store.listEntries('chat-t')), [1], 'the same seq in another chat is another entry');

      // Both in flight at once (one group commit, one batch of a cluster, ...): one of them is stored.
      const results = await Promise.allSettled([
        store.appendEntry(entry('chat-s', 2, { id: 'first' })),
        store.appendEntry(entry('chat-s', 2, { id: 'second' })),
      ]);
      t.same(results.map((r) => r.status).sort(), ['fulfilled', 'rejected'], 'concurrently: one written, one refused');
      t.match(results.find((r) => r.status === 'rejected'), { reason: { code: 'seq_taken' } });
      const stored = await store.listEntries('chat-s');
      t.same(ids(stored), ['chat-s-e1', results[0].status === 'fulfilled' ? 'first' : 'second'], 'only the acknowledged one is there');

      await store.appendEntry(entry('chat-s', 3));
      t.same(seqs(await store.listEntries('chat-s')), [1, 2, 3], 'the next seq is written as usual');
      await t.rejects(store.appendEntry(entry('never-saved', 1)), 'an entry of an interaction that was never saved is refused');
      t.same(await store.listEntries('never-saved'), []);
    });

    t.test("a chat is found by its start's key, which starts one chat only", async (t) => {
      const { store } = await fresh(t);
      await store.saveInteraction(record('chat-k', { startKey: { hash: 'k1', tokenSalt: 's1' } }));
      await store.saveInteraction(record('chat-plain'));
      await store.saveInteraction(record('chat-k', { startKey: { hash: 'k1', tokenSalt: 's1' }, state: 'active', agentId: 'agent1' }));
      t.match(await store.findInteractionByStartKey('k1'), { id: 'chat-k', startKey: { hash: 'k1', tokenSalt: 's1' }, state: 'active' }, 'found, as last saved');
      t.equal((await store.getInteraction('chat-plain'))?.startKey, null, 'a chat started without a key has none');
      t.equal(await store.findInteractionByStartKey('k2'), undefined);
      await t.rejects(store.saveInteraction(record('chat-k2', { startKey: { hash: 'k1', tokenSalt: 's2' } })), 'a second chat with the key is refused by the database');
      t.equal(await store.getInteraction('chat-k2'), undefined, 'and not stored');
    });

    t.test('a client id names one message of its chat: found again, never stored twice', async (t) => {
      const { store } = await fresh(t);
      await store.saveInteraction(record('chat-c'));
      await store.saveInteraction(record('chat-d'));
      const first = entry('chat-c', 1, { clientId: 'send-1' });
      await store.appendEntry(first);
      await store.appendEntry(entry('chat-d', 1, { clientId: 'send-1' }));
      t.same(await store.findEntryByClientId('chat-c', 'send-1'), first, 'found by its client id');
      t.equal((await store.findEntryByClientId('chat-d', 'send-1'))?.id, 'chat-d-e1', 'client ids are per chat');
      t.equal(await store.findEntryByClientId('chat-c', 'send-2'), undefined, 'a new client id is new');

      await t.rejects(store.appendEntry(entry('chat-c', 2, { clientId: 'send-1', text: 'the retry' })), { code: 'client_id_taken' }, 'a second message with the id is refused (client_id_taken)');
      t.same(ids(await store.listEntries('chat-c')), ['chat-c-e1'], 'and not stored');
      t.same(await store.findEntryByClientId('chat-c', 'send-1'), first, 'the id still names the first');

      const racing = await Promise.allSettled([
        store.appendEntry(entry('chat-c', 2, { id: 'race-a', clientId: 'send-3' })),
        store.appendEntry(entry('chat-c', 3, { id: 'race-b', clientId: 'send-3' })),
      ]);
      t.same(racing.map((r) => r.status).sort(), ['fulfilled', 'rejected'], 'two in flight at once: one is stored');
      const winner = racing[0].status === 'fulfilled' ? 'race-a' : 'race-b';
      t.equal((await store.findEntryByClientId('chat-c', 'send-3'))?.id, winner, 'the id names the acknowledged one');
      t.equal((await store.listEntries('chat-c')).filter((e) => e.clientId === 'send-3').length, 1);

      await t.rejects(store.appendEntry(entry('chat-c', 1, { id: 'late', clientId: 'send-4' })), 'a write refused for its seq');
      t.equal(await store.findEntryByClientId('chat-c', 'send-4'), undefined, 'leaves no client id behind');
    });

    t.test('an interaction given with its entry is saved in the same write: both or neither', async (t) => {
      const { store } = await fresh(t);
      const rec = record('chat-w', { state: 'active', agentId: 'agent1', lastSeq: 1 });
      await store.saveInteraction(rec);
      await store.appendEntry(entry('chat-w', 1));
      const ended = { ...rec, state: 'ended' as const, endedAt: T0 + 50, endedBy: 'agent' as const, lastSeq: 2 };
      await store.appendEntry(entry('chat-w', 2, { kind: 'ended', author: 'agent', text: null }), ended);
      t.match(await store.getInteraction('chat-w'), { state: 'ended', endedAt: T0 + 50, lastSeq: 2 }, 'saved with its entry');
      t.same(seqs(await store.listEntries('chat-w')), [1, 2]);

      const reopened = { ...ended, state: 'active' as const, endedAt: null, endedBy: null };
      await t.rejects(store.appendEntry(entry('chat-w', 2, { id: 'dup', kind: 'accepted' }), reopened), { code: 'seq_taken' }, 'the entry is refused');
      t.match(await store.getInteraction('chat-w'), { state: 'ended' }, 'and so is the interaction written with it');
    });

    t.test('the directory: services and agents with every field, each change with its audit entry, newest first', async (t) => {
      const { directory } = await fresh(t);
      const towing = {
        id: 'towing', name: 'Towing', autoDial: true, smsNumber: '+15550009001', recordCalls: true, disabled: false, serviceLevelSeconds: 45,
        dispositionCodes: ['Towed', 'Fixed on site, "quoted"'], wrapUpSeconds: 90, afterWrapUp: 'not_ready' as const, cannedResponses: ['Hello {customer_name}', 'Bye'],
      };
      const audit = (action: string, targetId: string, at: number) => ({ at, actor: 'boss', action, targetKind: 'service' as const, targetId, before: null, after: { name: 'Towing' } });
      await directory.saveService(towing, audit('service.created', 'towing', T0));
      t.same(await directory.getService('towing'), towing, 'every field comes back');
      await directory.saveService({ ...towing, disabled: true, smsNumber: null }, audit('service.disabled', 'towing', T0 + 1));
      t.match(await directory.getService('towing'), { disabled: true, smsNumber: null }, 'saved again: updated');
      const sup = { id: 'sue', displayName: 'Sue', passwordHash: 'scrypt$x', serviceIds: ['towing', 'roadside'], role: 'supervisor' as const, disabled: true };
      await directory.saveAgent(sup, { ...audit('agent.created', 'sue', T0 + 2), targetKind: 'agent' });
      t.same(await directory.getAgent('sue'), sup, 'a disabled supervisor comes back as saved');
      t.same((await directory.listAgents()).map((a) => a.id), ['sue']);
      const trail = await directory.listAudit(10);
      t.same(trail.map((e) => e.action), ['agent.created', 'service.disabled', 'service.created'], 'newest first');
      t.match(trail[0], { at: T0 + 2, actor: 'boss', targetKind: 'agent', targetId: 'sue', before: null, after: { name: 'Towing' } });
      await directory.saveService({ ...towing, name: 'Towing 2' }, { ...audit('service.updated', 'towing', T0 + 3), before: { name: 'Towing', smsNumber: null, autoDial: true } });
      t.same(Object.keys((await directory.listAudit(1))[0]!.before!), ['name', 'smsNumber', 'autoDial'], 'an audit entry\'s fields in the order they were written');
      t.same((await directory.listAudit(1)).map((e) => e.action), ['service.updated'], 'at most `limit`');
      const newest = (await directory.listAudit(2))[1]!;
      t.same((await directory.listAudit(10, newest.seq)).map((e) => e.action), ['service.disabled', 'service.created'], 'the page older than an entry');

      // Another service may not take a number already in use: the change and its audit entry are refused together.
      await t.rejects(directory.saveService({ id: 'other', name: 'Other', autoDial: false, smsNumber: '+15550009002' }).then(() =>
        directory.saveService({ id: 'third', name: 'Third', autoDial: false, smsNumber: '+15550009002' }, audit('service.created', 'third', T0 + 3))));
      t.equal(await directory.getService('third'), undefined, 'not saved');
      t.equal((await directory.listAudit(10)).length, 4, 'and not audited');

      // The same in one batch with other changes: only the refused one is missing, with its audit entry.
      const results = await Promise.allSettled([
        directory.saveService({ id: 'fourth', name: 'Fourth', autoDial: false, smsNumber: '+15550009004' }, audit('service.created', 'fourth', T0 + 4)),
        directory.saveService({ id: 'fifth', name: 'Fifth', autoDial: false, smsNumber: '+15550009002' }, audit('service.created', 'fifth', T0 + 5)),
        directory.saveAgent({ ...sup, id: 'sam' }, { ...audit('agent.created', 'sam', T0 + 6), targetKind: 'agent' }),
      ]);
      t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled'], 'written at once: the one with a taken number is refused');
      t.same((await directory.listServices()).map((s) => s.id), ['fourth', 'other', 'roadside', 'towing']);
      t.same((await directory.listAudit(3)).map((e) => e.targetId), ['sam', 'fourth', 'towing'], 'the others are audited, the refused one is not');
    });

    t.test("the wallboard's milestones: every interaction created or ended since a time, with its calls' answers", async (t) => {
      const { store, directory } = await fresh(t);
      t.equal((await directory.getService('roadside'))?.serviceLevelSeconds, 20, 'a service saved without a service level target has the default, 20 s');
      const since = T0 + 1000;
      const leg = { id: 'leg-1', interactionId: 'old-ended-now', serviceId: 'roadside', agentId: 'agent1', customerNumber: '+15551230000', state: 'released' as const, mute: 'unmuted' as const, startedAt: since + 1, answeredAt: since + 2, endedAt: since + 3, cause: null };
      await Promise.all([
        store.saveInteraction(record('old-ended-before', { state: 'ended', createdAt: T0, acceptedAt: T0 + 1, endedAt: since - 1 })),
        store.saveInteraction(record('old-open', { state: 'active', createdAt: T0, agentId: 'agent1', acceptedAt: T0 + 1 })),
        store.saveInteraction(record('old-ended-now', { state: 'ended', createdAt: T0, acceptedAt: T0 + 1, endedAt: since + 5, callLegs: [leg, { ...leg, id: 'leg-2', state: 'failed', answeredAt: null }] })),
        store.saveInteraction(record('new-queued', { state: 'queued', createdAt: since })),
        store.saveInteraction(record('requeued', { state: 'queued', createdAt: since, acceptedAt: since + 1, requeuedAt: since + 4 })),
      ]);
      const found = await store.listMilestonesSince(since);
      t.same(found.map((m) => m.id).sort(), ['new-queued', 'old-ended-now', 'requeued'], 'created or ended at or after `since`; neither: left out');
      t.same(found.find((m) => m.id === 'old-ended-now'), { id: 'old-ended-now', serviceId: 'roadside', createdAt: T0, acceptedAt: T0 + 1, requeuedAt: null, endedAt: since + 5, callsAnsweredAt: [since + 2, null] });
      t.same(found.find((m) => m.id === 'new-queued'), { id: 'new-queued', serviceId: 'roadside', createdAt: since, acceptedAt: null, requeuedAt: null, endedAt: null, callsAnsweredAt: [] });
      t.match(found.find((m) => m.id === 'requeued'), { acceptedAt: since + 1, requeuedAt: since + 4 }, 'a requeued chat keeps its first acceptance, and says since when it waits again');
      t.match(await store.getInteraction('requeued'), { acceptedAt: since + 1, requeuedAt: since + 4 });
      await store.saveInteraction(record('requeued', { state: 'active', agentId: 'agent2', createdAt: since, acceptedAt: since + 1, requeuedAt: null }));
      t.match(await store.getInteraction('requeued'), { acceptedAt: since + 1, requeuedAt: null }, 'accepted again: waiting no more');
      t.same(await store.listMilestonesSince(since + 10), [], 'nothing after the last');
    });

    t.test('everything acknowledged is there after the store is closed and opened again', async (t) => {
      const db = await fresh(t);
      const chats = ['chat-x', 'chat-y', 'chat-z'];
      await Promise.all(chats.map((id, i) => db.store.saveInteraction(record(id, { state: 'active', agentId: 'agent1', createdAt: T0 + i }))));
      // Many writes at once, across chats, the way concurrent customers send them.
      const writes = chats.flatMap((id) => Array.from({ length: 60 }, (_, k) => entry(id, k + 1, { clientId: `${id}-send-${k + 1}` })));
      await Promise.all(writes.map((e) => db.store.appendEntry(e)));
      await db.store.saveInteraction(record('chat-done', { state: 'ended', agentId: 'agent1', endedAt: T0 + 99 }));

      const { store } = await db.reopen();
      for (const id of chats) t.same(await store.listEntries(id), writes.filter((e) => e.interactionId === id), `${id}: every entry, in order`);
      t.same((await store.loadOpenInteractions()).map((r) => [r.id, r.lastSeq]), chats.map((id) => [id, 60]), 'open chats continue after their last seq');
      t.equal((await store.findEntryByClientId('chat-y', 'chat-y-send-17'))?.seq, 17, 'a retried send still finds its message');
      t.equal((await store.getInteraction('chat-done'))?.state, 'ended');
      await t.rejects(store.appendEntry(entry('chat-x', 60, { id: 'again' })), 'a stored seq is still refused');
      await t.rejects(store.appendEntry(entry('chat-x', 61, { clientId: 'chat-x-send-5' })), 'a stored client id too');
      await store.appendEntry(entry('chat-x', 61, { clientId: 'chat-x-send-61' }));
      t.same(seqs(await store.listEntries('chat-x', { afterSeq: 59 })), [60, 61]);
    });

    t.test('a write asked for once the store is closed is refused (StoreClosed), not left waiting', async (t) => {
      const open = await newDatabase(t);
      const closed = await open();
      await closed.directory.saveService({ id: 'roadside', name: 'Roadside Assistance', autoDial: false });
      await closed.store.saveInteraction(record('chat-late', { state: 'active', agentId: 'agent1' }));
      await closed.close();
      await t.rejects(closed.store.appendEntry(entry('chat-late', 1)), { name: 'StoreClosed' });
      const reopened = await open();
      t.teardown(() => reopened.close());
      t.same(await reopened.store.listEntries('chat-late'), [], 'and it was not stored');
    });

    channelContracts(t, fresh);
    recordingContracts(t, fresh);
    closureContracts(t, fresh);
    historyContracts(t, fresh);
  });
}

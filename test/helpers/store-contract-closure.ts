// The store contract, continued (store-contract.ts runs these): wrap-ups and ratings, once per
// interaction, and the interactions list the admins export, whatever the engine behind them.
import type { Test } from 'tap';
import { DomainError } from '../../src/domain/errors.ts';
import type { Fresh } from './store-contract-channels.ts';
import { record } from './store-contract.ts';
import { idsPageByPage } from './store-contract-history.ts';

const T0 = 1_700_000_000_000;

export function closureContracts(t: Test, fresh: Fresh): void {
  t.test('closure: one wrap-up and one rating per interaction, the second refused as a conflict', async (t) => {
    const { store, closures } = await fresh(t);
    await store.saveInteraction(record('chat-1', { state: 'ended', agentId: 'agent1', acceptedAt: T0 + 1, endedAt: T0 + 10, endedBy: 'agent' }));
    const wrapUp = { interactionId: 'chat-1', agentId: 'agent1', disposition: 'Resolved', notes: 'Tow, "flatbed"', doneAt: T0 + 11 };
    await closures.saveWrapUp(wrapUp);
    t.same(await closures.getWrapUp('chat-1'), wrapUp, 'read back as saved');
    const again = await closures.saveWrapUp({ ...wrapUp, notes: 'other' }).catch((err: unknown) => err);
    t.ok(again instanceof DomainError && again.code === 'already_wrapped_up', 'a second wrap-up: already_wrapped_up');
    t.equal((await closures.getWrapUp('chat-1'))?.notes, 'Tow, "flatbed"', 'the first stands');
    t.equal(await closures.getWrapUp('chat-2'), undefined);

    const rating = { interactionId: 'chat-1', serviceId: 'roadside', score: 4, comment: null, ratedAt: T0 + 12 };
    await closures.saveRating(rating);
    t.same(await closures.getRating('chat-1'), rating);
    const twice = await closures.saveRating({ ...rating, score: 1 }).catch((err: unknown) => err);
    t.ok(twice instanceof DomainError && twice.code === 'already_rated', 'a second rating: already_rated');
    t.equal((await closures.getRating('chat-1'))?.score, 4);
    t.same(await closures.ratingsSince(T0 + 12), [rating], 'rated at or after `since`');
    t.same(await closures.ratingsSince(T0 + 13), []);
  });

  t.test('closure: ended interactions in a time range, newest first, with their wrap-up and rating', async (t) => {
    const { store, closures } = await fresh(t);
    const ended = (id: string, at: number) => record(id, { state: 'ended', agentId: 'agent1', acceptedAt: T0, endedAt: at, endedBy: 'customer' });
    await Promise.all([ended('a', T0 + 10), ended('b', T0 + 20), ended('c', T0 + 30), record('open', { state: 'active', agentId: 'agent1' })].map((r) => store.saveInteraction(r)));
    await closures.saveWrapUp({ interactionId: 'b', agentId: 'agent1', disposition: null, notes: '', doneAt: T0 + 21 });
    await closures.saveRating({ interactionId: 'b', serviceId: 'roadside', score: 5, comment: 'great', ratedAt: T0 + 22 });
    const rows = await closures.listClosed({ from: T0 + 10, to: T0 + 30, limit: 10 });
    t.same(rows.map((r) => r.interaction.id), ['b', 'a'], 'from inclusive, to exclusive, newest first; open ones left out');
    t.same(rows[0]!.wrapUp, { interactionId: 'b', agentId: 'agent1', disposition: null, notes: '', doneAt: T0 + 21 });
    t.same(rows[0]!.rating, { interactionId: 'b', serviceId: 'roadside', score: 5, comment: 'great', ratedAt: T0 + 22 });
    t.same([rows[1]!.wrapUp, rows[1]!.rating], [null, null]);
    t.equal(rows[0]!.interaction.customer.name, 'Ada', 'the whole interaction comes along');
    t.same((await closures.listClosed({ from: 0, to: T0 + 100, limit: 1 })).map((r) => r.interaction.id), ['c'], 'at most `limit`');
  });

  t.test('closure: ended interactions page after page, none twice and none left out, ties included', async (t) => {
    const { store, closures } = await fresh(t);
    const ended = (id: string, at: number) => record(id, { state: 'ended', agentId: 'agent1', acceptedAt: T0, endedAt: at, endedBy: 'customer' });
    // Five ended in the same millisecond: a page may end between them.
    const ids = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'];
    await Promise.all(ids.map((id, i) => store.saveInteraction(ended(id, i < 5 ? T0 + 50 : T0 + 40 + i))));
    const seen = await idsPageByPage((before) => closures.listClosed({ from: T0, to: T0 + 100, limit: 2, before }), 2);
    t.same([...seen].sort(), ids, 'every one exactly once');
    t.same(seen.slice(0, 5).sort(), ['p1', 'p2', 'p3', 'p4', 'p5'], 'newest first: the five of the same millisecond, then the older ones');
    const outside = await closures.listClosed({ from: T0, to: T0 + 47, limit: 10, before: { endedAt: T0 + 99, id: 'zz' } });
    t.same(outside.map((r) => r.interaction.id), ['p7', 'p6'], 'a cursor sent back past the range still reads only the range');
  });
}

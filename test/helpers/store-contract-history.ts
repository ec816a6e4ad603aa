// The store contract, continued (store-contract.ts runs these): every agent who worked an interaction,
// kept through a transfer, for the agents' history and who may read an interaction, on every engine.
import type { Test } from 'tap';
import type { ClosedInteraction, ClosedQuery } from '../../src/domain/closure-ports.ts';
import type { Fresh } from './store-contract-channels.ts';
import { entry, record } from './store-contract.ts';

const T0 = 1_700_000_000_000;

// The ids of every page, each read after the last row of the page before (ten pages at most).
export async function idsPageByPage(read: (before: ClosedQuery['before']) => Promise<ClosedInteraction[]>, limit: number): Promise<string[]> {
  const seen: string[] = [];
  let before: ClosedQuery['before'];
  for (let pages = 0; pages < 10; pages++) {
    const page = await read(before);
    seen.push(...page.map((r) => r.interaction.id));
    if (page.length < limit) break;
    const last = page.at(-1)!.interaction;
    before = { endedAt: last.endedAt!, id: last.id };
  }
  return seen;
}

export function historyContracts(t: Test, fresh: Fresh): void {
  t.test('history: every agent who held an interaction keeps it, in the order they got it; an offer alone is no work', async (t) => {
    const db = await fresh(t);
    const { store } = db;
    const offered = record('chat-x', { state: 'offered', offeredTo: 'agent1', offeredAt: T0 + 1 });
    await store.saveInteraction(offered);
    const held = (seq: number, overrides: Parameters<typeof record>[1]) => ({ ...offered, state: 'active' as const, offeredTo: null, offeredAt: null, lastSeq: seq, ...overrides });
    const step = (seq: number, agentId: string, data: Record<string, unknown>) => entry('chat-x', seq, { kind: data.step ? 'handoff' : 'accepted', author: 'agent', agentId, text: null, data });
    // agent1 accepts; a transfer offered to agent3 returns unanswered; one to agent2 is accepted.
    await store.appendEntry(step(1, 'agent1', {}), held(1, { agentId: 'agent1', acceptedAt: T0 + 2 }));
    await store.appendEntry(step(2, 'agent1', { step: 'offered', toAgentId: 'agent3' }), held(2, { agentId: 'agent1', offeredTo: 'agent3', offeredAt: T0 + 3 }));
    await store.appendEntry(step(3, 'agent1', { step: 'returned', toAgentId: 'agent3' }), held(3, { agentId: 'agent1' }));
    await store.appendEntry(step(4, 'agent2', { step: 'accepted', toAgentId: 'agent2' }), held(4, { agentId: 'agent2' }));
    t.same((await store.listHistory('agent1', { limit: 10 })).map((r) => r.interaction.id), [], 'not in history while it is open');
    await store.saveInteraction(held(5, { agentId: 'agent2', state: 'ended', endedAt: T0 + 50, endedBy: 'agent' }));
    await store.saveInteraction(record('chat-y', { state: 'ended', agentId: 'agent1', acceptedAt: T0 + 5, endedAt: T0 + 40, endedBy: 'customer', lastSeq: 2 }));
    await store.saveInteraction(record('chat-open', { state: 'active', agentId: 'agent1', acceptedAt: T0 + 6 }));

    const check = async (opened: Pick<typeof db, 'store'>) => {
      t.same((await opened.store.listHistory('agent1', { limit: 10 })).map((r) => r.interaction.id), ['chat-x', 'chat-y'], 'the first agent keeps what it transferred away, latest ended first');
      t.same((await opened.store.listHistory('agent1', { limit: 1 })).map((r) => r.interaction.id), ['chat-x'], 'at most `limit`');
      t.same((await opened.store.listHistory('agent2', { limit: 10 })).map((r) => r.interaction.id), ['chat-x'], 'the agent it was transferred to has it');
      t.same(await opened.store.listHistory('agent3', { limit: 10 }), [], 'an agent only offered it (the transfer returned) does not');
      const agents = await opened.store.listAgentsOf(['chat-x', 'chat-y', 'chat-open', 'no-such-chat']);
      t.same(
        [...agents.entries()],
        [['chat-x', ['agent1', 'agent2']], ['chat-y', ['agent1']], ['chat-open', ['agent1']], ['no-such-chat', []]],
        'the agents of each, in the order they got it, once each',
      );
      t.same(await opened.store.listAgentsOf([]), new Map(), 'none asked, none answered');
    };
    await check(db);
    await check(await db.reopen());
  });

  t.test('history: each interaction comes with its wrap-up and rating, read with it', async (t) => {
    const { store, closures } = await fresh(t);
    await store.saveInteraction(record('done', { state: 'ended', agentId: 'agent1', acceptedAt: T0 + 1, endedAt: T0 + 20, endedBy: 'agent' }));
    await store.saveInteraction(record('bare', { state: 'ended', agentId: 'agent1', acceptedAt: T0 + 2, endedAt: T0 + 10, endedBy: 'customer' }));
    const wrapUp = { interactionId: 'done', agentId: 'agent1', disposition: 'Resolved', notes: 'Tow booked', doneAt: T0 + 21 };
    const rating = { interactionId: 'done', serviceId: 'roadside', score: 4, comment: 'quick', ratedAt: T0 + 22 };
    await closures.saveWrapUp(wrapUp);
    await closures.saveRating(rating);
    const [done, bare] = await store.listHistory('agent1', { limit: 10 });
    t.same([done?.interaction.id, done?.wrapUp, done?.rating], ['done', wrapUp, rating], 'the wrap-up and the rating as saved');
    t.same([bare?.interaction.id, bare?.wrapUp, bare?.rating], ['bare', null, null], 'none yet: null, and the interaction is still listed');
    t.equal(done?.interaction.customer.name, 'Ada', 'the whole interaction comes along');
  });

  t.test('history: page after page, none twice and none left out, ties included; only the agent\'s own', async (t) => {
    const { store } = await fresh(t);
    // Five ended in the same millisecond: a page may end between them.
    const ids = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7'];
    for (const [i, id] of ids.entries()) await store.saveInteraction(record(id, { state: 'ended', agentId: 'agent1', acceptedAt: T0, endedAt: i < 5 ? T0 + 50 : T0 + 40 + i, endedBy: 'customer' }));
    await store.saveInteraction(record('other', { state: 'ended', agentId: 'agent2', acceptedAt: T0, endedAt: T0 + 45, endedBy: 'customer' }));
    const seen = await idsPageByPage((before) => store.listHistory('agent1', { limit: 2, before }), 2);
    t.same([...seen].sort(), ids, 'every one exactly once, and none of another agent');
    t.same(seen.slice(0, 5).sort(), ['h1', 'h2', 'h3', 'h4', 'h5'], 'newest first: the five of the same millisecond, then the older ones');
    t.same(seen.slice(5), ['h7', 'h6'], 'then the older ones, newest first');
    t.same(await store.listHistory('agent1', { limit: 2, before: { endedAt: T0 + 40, id: 'zz' } }), [], 'nothing before the oldest');
  });

  t.test('history catches up with chats handled by nodes on older code (a rolling upgrade), safely run twice at once', async (t) => {
    const db = await fresh(t);
    const { store } = db;
    // Recent times: the catch-up reads what ended since its table was made (the migration, just now).
    const now = Date.now();
    const history = async (agentId: string) => (await store.listHistory(agentId, { limit: 10 })).map((r) => r.interaction.id);
    // chat-a: accepted on a new node; then an older node took agent2's accept of its transfer and its
    // end, writing the timeline and the interaction's row only.
    await store.appendEntry(entry('chat-a', 1, { kind: 'accepted', author: 'agent', agentId: 'agent1', text: null }), record('chat-a', { state: 'active', agentId: 'agent1', acceptedAt: now - 9000, lastSeq: 1 }));
    await store.appendEntry(entry('chat-a', 2, { kind: 'handoff', author: 'agent', agentId: 'agent2', text: null, data: { step: 'accepted', toAgentId: 'agent2' } }));
    await db.sql(`UPDATE interactions SET agent_id = 'agent2', state = 'ended', ended_at = ${now - 2000}, ended_by = 'agent', last_seq = 2 WHERE id = 'chat-a'`);
    // chat-b: accepted and ended on an older node: no agent's row at all.
    await store.saveInteraction(record('chat-b', { state: 'ended', agentId: 'agent1', acceptedAt: now - 8000, endedAt: now - 1000, endedBy: 'customer', lastSeq: 1 }));
    await db.sql(`DELETE FROM interaction_agents WHERE interaction_id = 'chat-b'`);
    // chat-c: still open, accepted on an older node.
    await store.saveInteraction(record('chat-c', { state: 'active', agentId: 'agent2', acceptedAt: now - 7000, lastSeq: 1 }));
    await db.sql(`DELETE FROM interaction_agents WHERE interaction_id = 'chat-c'`);
    t.same([await history('agent1'), await history('agent2')], [[], []], 'before: missing from both histories');

    const runs = await Promise.all([db.catchUpHistory(), db.catchUpHistory()]);
    const total = runs.reduce((a, r) => ({ added: a.added + r.added, ended: a.ended + r.ended }), { added: 0, ended: 0 });
    // Which of the two does the work may vary; between them, each missing row is added (and ended) once.
    t.same(total, { added: 3, ended: 3 }, 'two runs at once both succeed, and add each missing row once');
    t.same(await history('agent1'), ['chat-b', 'chat-a'], "agent1's history has both, latest ended first");
    t.same(await history('agent2'), ['chat-a'], 'agent2, who took the transfer on the older node, has it');
    const agents = await store.listAgentsOf(['chat-a', 'chat-b', 'chat-c']);
    t.same([...agents.entries()], [['chat-a', ['agent1', 'agent2']], ['chat-b', ['agent1']], ['chat-c', ['agent2']]], 'each once, in the order they got it');
    t.same(await db.catchUpHistory(), { added: 0, ended: 0 }, 'once caught up, another run changes nothing');
    t.same(await (await db.reopen()).store.listHistory('agent2', { limit: 10 }).then((rs) => rs.map((r) => r.interaction.id)), ['chat-a'], 'kept across a reopen');
  });
}

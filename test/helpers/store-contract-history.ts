// The store contract, continued (store-contract.ts runs these): every agent who worked an interaction,
// kept through a transfer, for the agents' history and who may read an interaction, on every engine.
import type { Test } from 'tap';
import type { Fresh } from './store-contract-channels.ts';
import { entry, record } from './store-contract.ts';

const T0 = 1_700_000_000_000;

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
    t.same((await store.listHistory('agent1', 10)).map((r) => r.id), [], 'not in history while it is open');
    await store.saveInteraction(held(5, { agentId: 'agent2', state: 'ended', endedAt: T0 + 50, endedBy: 'agent' }));
    await store.saveInteraction(record('chat-y', { state: 'ended', agentId: 'agent1', acceptedAt: T0 + 5, endedAt: T0 + 40, endedBy: 'customer', lastSeq: 2 }));
    await store.saveInteraction(record('chat-open', { state: 'active', agentId: 'agent1', acceptedAt: T0 + 6 }));

    const check = async (opened: Pick<typeof db, 'store'>) => {
      t.same((await opened.store.listHistory('agent1', 10)).map((r) => r.id), ['chat-x', 'chat-y'], 'the first agent keeps what it transferred away, latest ended first');
      t.same((await opened.store.listHistory('agent1', 1)).map((r) => r.id), ['chat-x'], 'at most `limit`');
      t.same((await opened.store.listHistory('agent2', 10)).map((r) => r.id), ['chat-x'], 'the agent it was transferred to has it');
      t.same(await opened.store.listHistory('agent3', 10), [], 'an agent only offered it (the transfer returned) does not');
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
}

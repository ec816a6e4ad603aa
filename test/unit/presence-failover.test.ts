// A new leader keeps Ready agents Ready: presence is stored as it changes, read back by recover(),
// and the queue is offered to them at once. A node that does not lead shows stored presence.
import t from 'tap';
import { ContactCenter } from '../../src/domain/contact-center.ts';
import { DomainEvents, type DomainEvent } from '../../src/domain/events.ts';
import { Interactions } from '../../src/domain/interactions.ts';
import { MultimediaDesk } from '../../src/domain/multimedia.ts';
import type { AgentPresenceStore, StoredPresence } from '../../src/domain/ports.ts';
import { AGENTS, DEFAULT_CONFIG, newChat, SERVICES } from '../helpers/fakes.ts';
import { ManualClock, MemoryAttachmentStore, MemoryDirectory, MemoryInteractionStore } from '../helpers/fake-ports.ts';

class MemoryPresence implements AgentPresenceStore {
  readonly rows = new Map<string, StoredPresence>();
  async loadPresence() {
    return [...this.rows.values()];
  }
  async savePresence(p: StoredPresence) {
    this.rows.set(p.agentId, { ...p });
  }
}

async function node(store: MemoryInteractionStore, presence: MemoryPresence, clock: ManualClock, recover = true) {
  const events = new DomainEvents((err) => {
    throw err;
  });
  const seen: DomainEvent[] = [];
  events.subscribe((e) => seen.push(e));
  const directory = new MemoryDirectory(SERVICES, AGENTS);
  const interactions = new Interactions({ store, events, clock });
  const desk = new MultimediaDesk({ interactions, directory, telephony: null, video: null, clock });
  const center = new ContactCenter({ interactions, media: desk, store, directory, attachments: new MemoryAttachmentStore(), events, clock, timers: clock, config: DEFAULT_CONFIG, presence });
  if (recover) await center.recover();
  return { center, interactions, seen };
}

// A first leader with Alice Ready and a chat offered to her, stored as they are.
async function aliceOffered() {
  const store = new MemoryInteractionStore();
  const presence = new MemoryPresence();
  const clock = new ManualClock();
  const first = await node(store, presence, clock);
  await first.center.setPresence('alice', 'make_ready');
  const { interaction } = await first.center.startChat(newChat());
  return { store, presence, clock, first, interaction };
}

t.test('Ready agents stay Ready on the next leader, which offers them the queue', async (t) => {
  const { store, presence, clock, first, interaction } = await aliceOffered();
  t.equal(first.interactions.get(interaction.id)!.offeredTo, 'alice');
  await new Promise((r) => setImmediate(r));
  t.same(presence.rows.get('alice')?.presence, 'ready', 'stored as it changed');

  // The leader dies with the offer pending; the next one recovers from the same storage.
  const next = await node(store, presence, clock);
  t.equal(next.center.agentState('alice').presence, 'ready', 'alice is still Ready');
  t.equal(next.center.agentState('bob').presence, 'not_ready');
  t.equal(next.interactions.get(interaction.id)!.offeredTo, 'alice', 'the chat is offered again at once');
});

// main.ts: the new leader logs out agents nobody is at (no live session) before its first offers.
t.test("the next leader offers nothing to an agent stored Ready who is logged in nowhere, and redraws the offer it took back", async (t) => {
  const { store, presence, clock, interaction } = await aliceOffered();
  await new Promise((r) => setImmediate(r));
  clock.advance(1000);

  // Alice's session ended while the leader was gone; Bob is logged in and Ready.
  await presence.savePresence({ agentId: 'bob', presence: 'ready', idleSince: clock.now() });
  const next = await node(store, presence, clock, false);
  await next.center.recover(async () => next.center.logOutAbsent(new Set(['bob']), clock.now()));
  t.equal(next.center.agentState('alice').presence, 'not_ready', 'Alice is Not Ready');
  t.equal(next.interactions.get(interaction.id)!.offeredTo, 'bob', 'the chat goes to Bob, not to Alice first');
  t.ok(
    next.seen.some((e) => e.type === 'interaction_changed' && e.interaction.id === interaction.id && e.previousOfferedTo === 'alice'),
    "pages on the new leader hear that Alice's offer was taken back",
  );
});

t.test('Ready or Not Ready is answered once it is stored: a new leader cannot lose what the agent was told', async (t) => {
  const presence = new MemoryPresence();
  const pending: Array<() => void> = [];
  presence.savePresence = (p) => new Promise<void>((resolve) => pending.push(() => (presence.rows.set(p.agentId, { ...p }), resolve())));
  const n = await node(new MemoryInteractionStore(), presence, new ManualClock());
  let answered = false;
  const asked = n.center.setPresence('alice', 'make_ready').then(() => (answered = true));
  t.equal(n.center.agentState('alice').presence, 'ready', 'routing follows at once');
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  t.notOk(answered, 'not answered before it is stored');
  for (const store of pending) store();
  await asked;
  t.equal(presence.rows.get('alice')?.presence, 'ready', 'answered once stored');
});

t.test('Ready or Not Ready that could not be stored is answered with the failure, and the same click again stores it', async (t) => {
  const presence = new MemoryPresence();
  const n = await node(new MemoryInteractionStore(), presence, new ManualClock());
  const save = presence.savePresence.bind(presence);
  presence.savePresence = () => Promise.reject(new Error('the database is briefly unreachable'));
  await t.rejects(n.center.setPresence('alice', 'make_ready'), /briefly unreachable/, 'the agent is told it did not stick');
  t.notOk(n.seen.some((e) => e.type === 'store_failed'), 'told to the agent, not only reported');
  presence.savePresence = save;
  await n.center.setPresence('alice', 'make_ready');
  t.equal(presence.rows.get('alice')?.presence, 'ready', 'clicked again: stored');
});

t.test('a follower shows the presence another node stored, agents it never saw included', async (t) => {
  const follower = await node(new MemoryInteractionStore(), new MemoryPresence(), new ManualClock(), false);
  follower.center.replicatePresence({ agentId: 'newcomer', presence: 'ready', idleSince: 5 });
  follower.center.replicatePresence({ agentId: 'newcomer', presence: 'ready', idleSince: 5 });
  t.equal(follower.center.agentState('newcomer').presence, 'ready');
  t.equal(follower.seen.filter((e) => e.type === 'presence_changed').length, 1, 'heard once: the repeat changes nothing');
});

// Its wrap-up's time is taken up again, or ended, by the next leader's after-call work (wrap-up.test.ts).
t.test('an agent stored in wrap-up is still in wrap-up on the next leader, and gets no offer', async (t) => {
  const store = new MemoryInteractionStore();
  const presence = new MemoryPresence();
  await presence.savePresence({ agentId: 'alice', presence: 'wrap_up', idleSince: 1 });
  const next = await node(store, presence, new ManualClock());
  t.equal(next.center.agentState('alice').presence, 'wrap_up');
  const { interaction } = await next.center.startChat(newChat());
  t.equal(next.interactions.get(interaction.id)!.state, 'queued');
});

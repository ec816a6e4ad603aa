import t from 'tap';
import type { TimelineEntry } from '../../src/domain/timeline.ts';
import type { InteractionRecord } from '../../src/domain/interaction.ts';
import { WriteFailed } from '../../src/store/errors.ts';
import { activeChat, makeCenter } from '../helpers/fakes.ts';
import { MemoryInteractionStore } from '../helpers/fake-ports.ts';

// A write whose outcome the store cannot know: PostgreSQL's connection dropped while COMMIT was on
// its way, and the rows were stored all the same. The chat must go on: the customer's next messages
// are stored, each at the next seq (it used to stop taking messages until a restart).
class CommitsThenFails extends MemoryInteractionStore {
  #failure: Error | undefined;
  reportNextAsFailed(failure: Error): void {
    this.#failure = failure;
  }
  override appendEntry(entry: TimelineEntry, interaction?: InteractionRecord): Promise<void> {
    const failure = this.#failure;
    this.#failure = undefined;
    const written = super.appendEntry(entry, interaction);
    return failure ? written.then(() => Promise.reject(failure)) : written;
  }
}

const sent = (store: MemoryInteractionStore, id: string) =>
  store.entriesOf(id).filter((e) => e.kind === 'message').map((e) => `${e.seq}:${e.text}`);

t.test('a send stored though the store reported it failed (maybe committed): the next message is stored at the next seq', async (t) => {
  const store = new CommitsThenFails();
  const h = await makeCenter({ store });
  const { interaction } = await activeChat(h, 'alice');
  const first = await h.center.postCustomerMessage(interaction.id, 'one', 'c-1');
  store.reportNextAsFailed(new WriteFailed('Connection terminated unexpectedly', 'ERR_POSTGRES', { maybeCommitted: true }));
  await t.rejects(h.center.postCustomerMessage(interaction.id, 'two', 'c-2'), { name: 'WriteFailed' }, 'the customer hears the send failed');
  const third = await h.center.postCustomerMessage(interaction.id, 'three', 'c-3');
  t.equal(third.seq, first.seq + 2, 'the next message takes the seq after the stored one');
  const resent = await h.center.postCustomerMessage(interaction.id, 'two', 'c-2');
  t.equal(resent.seq, first.seq + 1, "the customer's app resends the failed one: it was stored, and comes back once");
  await h.store.settled();
  t.same(sent(store, interaction.id), [`${first.seq}:one`, `${first.seq + 1}:two`, `${first.seq + 2}:three`]);
});

t.test('a send stored though the store reported a plain failure: the next send is refused (seq_taken), and the chat takes messages again after it', async (t) => {
  const store = new CommitsThenFails();
  const h = await makeCenter({ store });
  const { interaction } = await activeChat(h, 'alice');
  const first = await h.center.postAgentMessage('alice', interaction.id, 'one');
  store.reportNextAsFailed(new Error('connection reset'));
  await t.rejects(h.center.postAgentMessage('alice', interaction.id, 'two'));
  await t.rejects(h.center.postAgentMessage('alice', interaction.id, 'three'), { kind: 'unavailable', code: 'seq_taken', retryAfterS: 1 }, 'its seq was stored: this one is refused, to be sent again at once (503)');
  const four = await h.center.postAgentMessage('alice', interaction.id, 'four');
  const five = await h.center.postAgentMessage('alice', interaction.id, 'five');
  t.same([four.seq, five.seq], [first.seq + 2, first.seq + 3], 'then every message is stored, each at the next seq');
  await h.store.settled();
  t.same(sent(store, interaction.id), [`${first.seq}:one`, `${first.seq + 1}:two`, `${first.seq + 2}:four`, `${first.seq + 3}:five`]);
});

// What listens for entries (the customer's live feed, the SMS desk that sends an agent's reply as a
// text) heard nothing of the first try: the retry that finds it stored is when they hear it.
t.test('a reply stored though the store reported it failed (maybe committed) is told to the listeners when the retry finds it, once', async (t) => {
  const store = new CommitsThenFails();
  const h = await makeCenter({ store });
  const { interaction } = await activeChat(h, 'alice');
  const heard = () => h.events.flatMap((e) => (e.type === 'entry_appended' && e.entry.text === 'A tow truck is on its way' ? [e.entry.id] : []));
  store.reportNextAsFailed(new WriteFailed('Connection terminated unexpectedly', 'ERR_POSTGRES', { maybeCommitted: true }));
  await t.rejects(h.center.postAgentMessage('alice', interaction.id, 'A tow truck is on its way', 'composer-1'), { name: 'WriteFailed' });
  t.same(heard(), [], 'not told while it may not be stored');
  const resent = await h.center.postAgentMessage('alice', interaction.id, 'A tow truck is on its way', 'composer-1');
  t.same(heard(), [resent.id], 'told once the retry finds it stored');
  await h.center.postAgentMessage('alice', interaction.id, 'A tow truck is on its way', 'composer-1');
  t.same(heard(), [resent.id], 'a later repeat tells nothing again');
});

import { checkRoomInChat, checkRoomToWait, CUSTOMER_WRITES } from './chat-rules.ts';
import { ClosingTimeline } from './closing-timeline.ts';
import type { ClosedInteraction } from './closure-ports.ts';
import { assertAgentMay, assertCustomerMay, chatEnded, type AgentAction, type CustomerAction, type MediaCapabilities } from './guards.ts';
import { DomainError, forbidden, notFound } from './errors.ts';
import { holdsOrIsOffered, mayRead, type InteractionRecord } from './interaction.ts';
import type { HistoryQuery, InteractionStore } from './ports.ts';
import type { EntryDraft, TimelineEntry } from './timeline.ts';
import { sentBy, TimelineWriter, type TimelineWriterDeps } from './timeline-writer.ts';

// The open interactions and their timelines, shared by the two services that act on them:
// ContactCenter (the chat and its routing) and MultimediaDesk (call legs and video). Each takes this
// registry at construction, so neither reaches into the other. One record per open interaction, and
// one writer of every timeline (its seq is per interaction and must stay gap-free).
export class Interactions {
  readonly #store: InteractionStore;
  readonly #open = new Map<string, InteractionRecord>();
  readonly #writingClosed = new Map<string, Promise<void>>();
  readonly #timeline: TimelineWriter;
  // Where entries go that may be written once the interaction has ended (closing-timeline.ts).
  readonly closing: ClosingTimeline;
  #loaded: Promise<void> | undefined;
  readonly #maxChatEntries: number | undefined;
  // New chats being stored: they wait in the queue as soon as they are asked for.
  #starting = 0;

  // `maxChatEntries`: timeline entries of a chat past which its customer writes no more
  // (MAX_CHAT_ENTRIES; default LIMITS.chatEntriesMax).
  constructor(deps: TimelineWriterDeps & { maxChatEntries?: number }) {
    this.#store = deps.store;
    this.#maxChatEntries = deps.maxChatEntries;
    this.#timeline = new TimelineWriter(deps);
    this.closing = new ClosingTimeline(this);
  }

  // What was open before a restart, loaded once: the telephony reconciles its calls against these
  // before the services start (main.ts), and ContactCenter.recover() asks again.
  load(): Promise<void> {
    this.#loaded ??= this.#store.loadOpenInteractions().then((recs) => {
      for (const rec of recs) this.#open.set(rec.id, rec);
    });
    return this.#loaded;
  }

  add(rec: InteractionRecord): void {
    this.#open.set(rec.id, rec);
  }

  // A new chat: stored, then open. Those being stored count as waiting, so starts sent at once cannot
  // pass the queue's cap (MAX_WAITING_CHATS) together.
  async addNew(rec: InteractionRecord, maxWaiting: number | undefined): Promise<void> {
    checkRoomToWait(this.all(), maxWaiting, this.#starting);
    this.#starting += 1;
    try {
      await this.#store.saveInteraction(rec);
    } finally {
      this.#starting -= 1;
    }
    this.add(rec);
  }

  // The chat started with this Idempotency-Key (chat-starts.ts), as it is now if it is open. One stored
  // by a start whose write seemed to fail (the connection broke during COMMIT) is open from now on:
  // `opened` is told, as of a new chat.
  async findByStartKey(startKeyHash: string, opened: (rec: InteractionRecord) => void): Promise<InteractionRecord | undefined> {
    const stored = await this.#store.findInteractionByStartKey(startKeyHash);
    if (!stored || stored.state === 'ended') return stored;
    const open = this.#open.get(stored.id);
    if (open) return open;
    this.add(stored);
    opened(stored);
    return stored;
  }

  remove(rec: InteractionRecord): void {
    this.#open.delete(rec.id);
  }

  get(interactionId: string): InteractionRecord | undefined {
    return this.#open.get(interactionId);
  }

  // Every action on an interaction that is no longer open answers chat_ended.
  require(interactionId: string): InteractionRecord {
    const rec = this.#open.get(interactionId);
    if (!rec || rec.state === 'ended') throw chatEnded();
    return rec;
  }

  // The open interaction, once the guard table allows this action on it (else its refusal is thrown).
  agentMay(action: AgentAction, agentId: string, interactionId: string, media: MediaCapabilities): InteractionRecord {
    const rec = this.require(interactionId);
    assertAgentMay(action, rec, agentId, media);
    return rec;
  }

  customerMay(action: CustomerAction, interactionId: string, media: MediaCapabilities): InteractionRecord {
    const rec = this.require(interactionId);
    assertCustomerMay(action, rec, media);
    if (CUSTOMER_WRITES.has(action)) this.checkRoomInChat(rec);
    return rec;
  }

  // Past MAX_CHAT_ENTRIES the customer adds nothing more (409 chat_full).
  checkRoomInChat(rec: InteractionRecord): void {
    checkRoomInChat(rec, this.#maxChatEntries);
  }

  // Open, or else as stored (ended, or never seen by this process), once the writes made on it since it
  // left the open ones (its end entry) are stored: a read before would take their seq again.
  async find(interactionId: string): Promise<InteractionRecord | undefined> {
    const open = this.#open.get(interactionId);
    if (open) return open;
    await this.#writingClosed.get(interactionId);
    return this.#store.getInteraction(interactionId);
  }

  // The interaction as its reader sees it (interaction.ts mayRead: what it holds or is offered now,
  // and what it worked before once that has ended). An offer that returned unanswered leaves no access.
  // With every agent who worked it, in order.
  async readableBy(agentId: string, interactionId: string): Promise<{ interaction: InteractionRecord; agentIds: string[] }> {
    const rec = await this.find(interactionId);
    if (!rec) throw notFound('interaction_not_found', 'No such interaction.');
    const agentIds = await this.workedBy(interactionId);
    if (!mayRead(rec, agentId, agentIds)) throw agentIds.includes(agentId) ? withAnotherAgent() : notYours();
    return { interaction: rec, agentIds };
  }

  // The agent it is offered to now, or the one holding it: the live desktop's rule.
  async heldBy(agentId: string, interactionId: string): Promise<InteractionRecord> {
    const rec = await this.find(interactionId);
    if (!rec) throw notFound('interaction_not_found', 'No such interaction.');
    if (!holdsOrIsOffered(rec, agentId)) throw notYours();
    return rec;
  }

  // Every agent who worked it (accepted it, or accepted its transfer), in the order they got it.
  async workedBy(interactionId: string): Promise<string[]> {
    return (await this.#store.listAgentsOf([interactionId])).get(interactionId) ?? [];
  }

  workedByEach(interactionIds: readonly string[]): Promise<Map<string, string[]>> {
    return this.#store.listAgentsOf(interactionIds);
  }

  // The ended interactions an agent worked, each with its wrap-up, its rating and every agent who
  // worked it, in order: two reads a page, whatever its length.
  async history(agentId: string, query: HistoryQuery): Promise<ClosedInteraction[]> {
    const rows = await this.#store.listHistory(agentId, query);
    const agents = await this.workedByEach(rows.map((row) => row.interaction.id));
    return rows.map((row) => ({ ...row, workedBy: agents.get(row.interaction.id) ?? [] }));
  }

  all(): InteractionRecord[] {
    return [...this.#open.values()];
  }

  append(rec: InteractionRecord, draft: EntryDraft): Promise<TimelineEntry> {
    const written = this.#timeline.append(rec, draft);
    if (this.#open.get(rec.id) !== rec) this.writingClosed(rec.id, written);
    return written;
  }

  // Writes on a record that is not the open one (its end, the telephony's late reports, its closing),
  // until they are stored. The hot path (messages of open chats) never comes here.
  private writingClosed(interactionId: string, written: Promise<unknown>): void {
    const all: Promise<void> = Promise.all([this.#writingClosed.get(interactionId), written.then(ignore, ignore)]).then(() => {
      if (this.#writingClosed.get(interactionId) === all) this.#writingClosed.delete(interactionId);
    });
    this.#writingClosed.set(interactionId, all);
  }

  // A customer's send refused because the chat has ended may repeat one stored before the end (its
  // answer was lost on the way): that one is the answer, as for any repeated client id.
  storedBeforeEnd(interactionId: string, draft: EntryDraft, clientId: string | undefined, refusal: unknown): Promise<TimelineEntry> {
    if (clientId === undefined || !(refusal instanceof DomainError && refusal.code === 'chat_ended')) return Promise.reject(refusal);
    return this.#store.findEntryByClientId(interactionId, clientId).then((stored) => {
      if (!stored || stored.kind !== draft.kind || stored.author !== draft.author) throw refusal;
      return sentBy(draft, stored);
    });
  }

  // A retried customer send (same client id) gets its first entry back; see TimelineWriter.appendOnce.
  appendOnce(rec: InteractionRecord, draft: EntryDraft & { clientId: string }, beforeAppend?: () => Promise<unknown>): Promise<TimelineEntry> {
    return this.#timeline.appendOnce(rec, draft, (id) => this.require(id), beforeAppend);
  }
}

const ignore = () => undefined;

const notYours = () => forbidden('not_your_interaction', 'This interaction was not offered to you.');
const withAnotherAgent = () => forbidden('with_another_agent', 'This interaction is now with another agent: it is in your History once it has ended.');

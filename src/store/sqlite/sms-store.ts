import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { RATING_QUESTION_PREFIX, type AskedRating, type SeenSms, type SmsDelivery, type SmsRoute, type SmsStore, type StoredPart } from '../../domain/sms-ports.ts';
import { deliveryValues, partValues, routeValues, seenValues, toAskedRating, toDelivery, toPart, toRoute } from '../rows.ts';
import { sqlitePlaceholder, writeStatements } from '../sql.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { WriteBatcher } from './write-batcher.ts';

const SQL = writeStatements(sqlitePlaceholder);

const FORGET_SLICE = 5000;
const FORGET_SEEN = 'DELETE FROM sms_inbound WHERE rowid IN (SELECT rowid FROM sms_inbound WHERE pending = 0 AND received_at < ? LIMIT ?)';

// The SMS channel's tables (migration 003). Writes go through the group commit, so each is on disk
// when its promise resolves.
export class SqliteSmsStore extends SqliteStore implements SmsStore {
  readonly #s: Record<'seen' | 'pending' | 'pendingGroup' | 'getRoute' | 'holding' | 'getDelivery' | 'listDeliveries' | 'sending' | 'questions', StatementSync>;

  constructor(db: DatabaseSync, batcher: WriteBatcher) {
    super(db, batcher);
    this.#s = {
      seen: db.prepare('SELECT 1 FROM sms_inbound WHERE id = ?'),
      pending: db.prepare('SELECT * FROM sms_inbound WHERE pending = 1 ORDER BY received_at, rowid'),
      pendingGroup: db.prepare('SELECT * FROM sms_inbound WHERE pending = 1 AND from_number = ? AND to_number = ? AND ref = ? AND total = ? ORDER BY received_at, rowid'),
      getRoute: db.prepare('SELECT * FROM sms_routes WHERE interaction_id = ?'),
      holding: db.prepare('SELECT r.interaction_id FROM sms_routes r JOIN timeline t ON t.interaction_id = r.interaction_id AND t.client_id = ? WHERE r.customer_number = ? AND r.service_number = ? AND r.created_at >= ? ORDER BY r.created_at DESC LIMIT 1'),
      getDelivery: db.prepare('SELECT * FROM sms_outbound WHERE id = ?'),
      listDeliveries: db.prepare('SELECT * FROM sms_outbound WHERE interaction_id = ?'),
      sending: db.prepare("SELECT * FROM sms_outbound WHERE status = 'sending' ORDER BY updated_at, rowid"),
      questions: db.prepare(
        'SELECT o.interaction_id, o.from_number, o.to_number, i.ended_at FROM interactions i JOIN sms_outbound o ON o.id = ? || i.id WHERE i.ended_at >= ? ORDER BY i.ended_at, i.id',
      ),
    };
  }

  async isSeen(id: string): Promise<boolean> {
    return this.#s.seen.get(id) !== undefined;
  }

  markSeen(sms: SeenSms): Promise<void> {
    return this.batcher.write([[SQL.markSeen, seenValues(sms)]]);
  }

  savePart(p: StoredPart): Promise<void> {
    return this.batcher.write([[SQL.savePart, partValues(p)]]);
  }

  finishParts(ids: string[]): Promise<void> {
    return this.batcher.write(ids.map((id) => ['UPDATE sms_inbound SET pending = 0, text = NULL WHERE id = ?', [id]]));
  }

  // In slices: the first sweep after an upgrade may find months of ids, and one statement deleting them
  // all would hold every write of the group commit (chat messages too) behind it.
  async forgetSeenBefore(before: number): Promise<number> {
    let forgotten = 0;
    let slice: number;
    do {
      [slice = 0] = await this.batcher.writeCounting([[FORGET_SEEN, [before, FORGET_SLICE]]]);
      forgotten += slice;
    } while (slice === FORGET_SLICE);
    return forgotten;
  }

  async pendingParts(): Promise<StoredPart[]> {
    return this.#s.pending.all().map(toPart);
  }

  async pendingGroup(g: Pick<StoredPart, 'from' | 'to' | 'ref' | 'total'>): Promise<StoredPart[]> {
    return this.#s.pendingGroup.all(g.from, g.to, g.ref, g.total).map(toPart);
  }

  saveRoute(r: SmsRoute): Promise<void> {
    return this.batcher.write([[SQL.saveRoute, routeValues(r)]]);
  }

  async getRoute(interactionId: string): Promise<SmsRoute | undefined> {
    const row = this.#s.getRoute.get(interactionId);
    return row ? toRoute(row) : undefined;
  }

  async chatHolding(c: Pick<SmsRoute, 'customerNumber' | 'serviceNumber'>, clientId: string, since: number): Promise<string | undefined> {
    const row = this.#s.holding.get(clientId, c.customerNumber, c.serviceNumber, since);
    return row ? String(row.interaction_id) : undefined;
  }

  saveDelivery(d: SmsDelivery): Promise<void> {
    return this.batcher.write([[SQL.saveDelivery, deliveryValues(d)]]);
  }

  async getDelivery(id: string): Promise<SmsDelivery | undefined> {
    const row = this.#s.getDelivery.get(id);
    return row ? toDelivery(row) : undefined;
  }

  async listDeliveries(interactionId: string): Promise<SmsDelivery[]> {
    return this.#s.listDeliveries.all(interactionId).map(toDelivery);
  }

  async sendingDeliveries(): Promise<SmsDelivery[]> {
    return this.#s.sending.all().map(toDelivery);
  }

  async ratingQuestionsSince(since: number): Promise<AskedRating[]> {
    return this.#s.questions.all(RATING_QUESTION_PREFIX, since).map(toAskedRating);
  }
}

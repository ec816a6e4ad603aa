import { RATING_QUESTION_PREFIX, type AskedRating, type SeenSms, type SmsDelivery, type SmsRoute, type SmsStore, type StoredPart } from '../../domain/sms-ports.ts';
import { deliveryValues, partValues, routeValues, seenValues, toAskedRating, toDelivery, toPart, toRoute } from '../rows.ts';
import { pgPlaceholder, writeStatements } from '../sql.ts';
import { failure } from './group-commit.ts';
import { PgStore } from './pg-store.ts';

const SQL = writeStatements(pgPlaceholder);

// The SMS channel's tables. Each write resolves after its batch's COMMIT.
export class PgSmsStore extends PgStore implements SmsStore {
  async isSeen(id: string): Promise<boolean> {
    return (await this.one('SELECT 1 FROM sms_inbound WHERE id = $1', () => true, id)) ?? false;
  }

  markSeen(sms: SeenSms): Promise<void> {
    return this.write([SQL.markSeen, seenValues(sms)]);
  }

  savePart(p: StoredPart): Promise<void> {
    return this.write([SQL.savePart, partValues(p)]);
  }

  finishParts(ids: string[]): Promise<void> {
    return this.write(['UPDATE sms_inbound SET pending = false, text = NULL WHERE id = ANY($1)', [ids]]);
  }

  // One statement on its own, outside the group commit: a sweep's many rows hold no other write back.
  async forgetSeenBefore(before: number): Promise<number> {
    const { rowCount } = await this.pool.query('DELETE FROM sms_inbound WHERE NOT pending AND received_at < $1', [before]).catch((err: unknown) => {
      throw failure(err);
    });
    return rowCount ?? 0;
  }

  pendingParts(): Promise<StoredPart[]> {
    return this.all('SELECT * FROM sms_inbound WHERE pending ORDER BY received_at, arrival', toPart);
  }

  pendingGroup(g: Pick<StoredPart, 'from' | 'to' | 'ref' | 'total'>): Promise<StoredPart[]> {
    const sql = 'SELECT * FROM sms_inbound WHERE pending AND from_number = $1 AND to_number = $2 AND ref = $3 AND total = $4 ORDER BY received_at, arrival';
    return this.all(sql, toPart, g.from, g.to, g.ref, g.total);
  }

  saveRoute(r: SmsRoute): Promise<void> {
    return this.write([SQL.saveRoute, routeValues(r)]);
  }

  getRoute(interactionId: string): Promise<SmsRoute | undefined> {
    return this.one('SELECT * FROM sms_routes WHERE interaction_id = $1', toRoute, interactionId);
  }

  chatHolding(c: Pick<SmsRoute, 'customerNumber' | 'serviceNumber'>, clientId: string, since: number): Promise<string | undefined> {
    const sql = 'SELECT r.interaction_id FROM sms_routes r JOIN timeline t ON t.interaction_id = r.interaction_id AND t.client_id = $1 WHERE r.customer_number = $2 AND r.service_number = $3 AND r.created_at >= $4 ORDER BY r.created_at DESC LIMIT 1';
    return this.one(sql, (row) => String(row.interaction_id), clientId, c.customerNumber, c.serviceNumber, since);
  }

  saveDelivery(d: SmsDelivery): Promise<void> {
    return this.write([SQL.saveDelivery, deliveryValues(d)]);
  }

  getDelivery(id: string): Promise<SmsDelivery | undefined> {
    return this.one('SELECT * FROM sms_outbound WHERE id = $1', toDelivery, id);
  }

  listDeliveries(interactionId: string): Promise<SmsDelivery[]> {
    return this.all('SELECT * FROM sms_outbound WHERE interaction_id = $1', toDelivery, interactionId);
  }

  sendingDeliveries(): Promise<SmsDelivery[]> {
    return this.all("SELECT * FROM sms_outbound WHERE status = 'sending' ORDER BY updated_at, id", toDelivery);
  }

  ratingQuestionsSince(since: number): Promise<AskedRating[]> {
    const sql = 'SELECT o.interaction_id, o.from_number, o.to_number, i.ended_at FROM interactions i JOIN sms_outbound o ON o.id = $1 || i.id WHERE i.ended_at >= $2 ORDER BY i.ended_at, i.id';
    return this.all(sql, toAskedRating, RATING_QUESTION_PREFIX, since);
  }
}

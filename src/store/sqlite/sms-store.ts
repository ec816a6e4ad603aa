import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { SeenSms, SmsDelivery, SmsDeliveryStatus, SmsGatewayKind, SmsRoute, SmsStore, StoredPart } from '../../domain/sms-ports.ts';
import type { SmsEncoding } from '../../domain/sms-segments.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { WriteBatcher } from './write-batcher.ts';

const SQL = {
  markSeen: 'INSERT OR IGNORE INTO sms_inbound (id, from_number, to_number, gateway, received_at, pending) VALUES (?, ?, ?, ?, ?, 0)',
  savePart: `INSERT OR IGNORE INTO sms_inbound (id, from_number, to_number, gateway, received_at, pending, ref, total, part, text)
             VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
  finishPart: 'UPDATE sms_inbound SET pending = 0, text = NULL WHERE id = ?',
  saveRoute: `INSERT INTO sms_routes (interaction_id, customer_number, service_number, gateway, created_at) VALUES (?, ?, ?, ?, ?)
              ON CONFLICT (interaction_id) DO UPDATE SET service_number = excluded.service_number, gateway = excluded.gateway`,
  saveDelivery: `INSERT INTO sms_outbound (id, interaction_id, from_number, to_number, segments, encoding, status, detail, updated_at)
                 VALUES ($id, $interaction_id, $from_number, $to_number, $segments, $encoding, $status, $detail, $updated_at)
                 ON CONFLICT (id) DO UPDATE SET status = excluded.status, detail = excluded.detail, updated_at = excluded.updated_at,
                   segments = excluded.segments, encoding = excluded.encoding`,
};

// The SMS channel's tables (migration 003). Writes go through the group commit, so each is on disk
// when its promise resolves.
export class SqliteSmsStore extends SqliteStore implements SmsStore {
  readonly #s: Record<'seen' | 'pending' | 'getRoute' | 'getDelivery' | 'listDeliveries', StatementSync>;

  constructor(db: DatabaseSync, batcher: WriteBatcher) {
    super(db, batcher);
    this.#s = {
      seen: db.prepare('SELECT 1 FROM sms_inbound WHERE id = ?'),
      pending: db.prepare('SELECT * FROM sms_inbound WHERE pending = 1 ORDER BY received_at, rowid'),
      getRoute: db.prepare('SELECT * FROM sms_routes WHERE interaction_id = ?'),
      getDelivery: db.prepare('SELECT * FROM sms_outbound WHERE id = ?'),
      listDeliveries: db.prepare('SELECT * FROM sms_outbound WHERE interaction_id = ?'),
    };
  }

  async isSeen(id: string): Promise<boolean> {
    return this.#s.seen.get(id) !== undefined;
  }

  markSeen(sms: SeenSms): Promise<void> {
    return this.batcher.write([[SQL.markSeen, [sms.id, sms.from, sms.to, sms.gateway, sms.receivedAt]]]);
  }

  savePart(p: StoredPart): Promise<void> {
    return this.batcher.write([[SQL.savePart, [p.id, p.from, p.to, p.gateway, p.receivedAt, p.ref, p.total, p.part, p.text]]]);
  }

  finishParts(ids: string[]): Promise<void> {
    return this.batcher.write(ids.map((id) => [SQL.finishPart, [id]]));
  }

  async pendingParts(): Promise<StoredPart[]> {
    return this.#s.pending.all().map((row) => ({
      id: String(row.id),
      from: String(row.from_number),
      to: String(row.to_number),
      gateway: String(row.gateway) as SmsGatewayKind,
      receivedAt: Number(row.received_at),
      ref: Number(row.ref),
      total: Number(row.total),
      part: Number(row.part),
      text: String(row.text ?? ''),
    }));
  }

  saveRoute(r: SmsRoute): Promise<void> {
    return this.batcher.write([[SQL.saveRoute, [r.interactionId, r.customerNumber, r.serviceNumber, r.gateway, r.createdAt]]]);
  }

  async getRoute(interactionId: string): Promise<SmsRoute | undefined> {
    const row = this.#s.getRoute.get(interactionId);
    if (!row) return undefined;
    return {
      interactionId: String(row.interaction_id),
      customerNumber: String(row.customer_number),
      serviceNumber: String(row.service_number),
      gateway: String(row.gateway) as SmsGatewayKind,
      createdAt: Number(row.created_at),
    };
  }

  saveDelivery(d: SmsDelivery): Promise<void> {
    const params = {
      $id: d.id,
      $interaction_id: d.interactionId,
      $from_number: d.from,
      $to_number: d.to,
      $segments: d.segments,
      $encoding: d.encoding,
      $status: d.status,
      $detail: d.detail,
      $updated_at: d.updatedAt,
    };
    return this.batcher.write([[SQL.saveDelivery, params]]);
  }

  async getDelivery(id: string): Promise<SmsDelivery | undefined> {
    const row = this.#s.getDelivery.get(id);
    return row ? toDelivery(row) : undefined;
  }

  async listDeliveries(interactionId: string): Promise<SmsDelivery[]> {
    return this.#s.listDeliveries.all(interactionId).map(toDelivery);
  }
}

function toDelivery(row: Record<string, unknown>): SmsDelivery {
  return {
    id: String(row.id),
    interactionId: String(row.interaction_id),
    from: String(row.from_number),
    to: String(row.to_number),
    segments: Number(row.segments),
    encoding: String(row.encoding) as SmsEncoding,
    status: String(row.status) as SmsDeliveryStatus,
    detail: row.detail === null || row.detail === undefined ? null : String(row.detail),
    updatedAt: Number(row.updated_at),
  };
}

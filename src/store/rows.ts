// Domain records to and from table rows, shared by every engine: the tables have the same columns in
// SQLite and PostgreSQL. What differs is how values come back, so the readers accept both: a flag is
// 0/1 (SQLite) or a boolean (PostgreSQL), JSON is text (SQLite) or already parsed (PostgreSQL), and an
// epoch-ms number arrives as a number either way (PostgreSQL's bigint is parsed by the pool).
import { AGENT_ROLES, type Agent, type AuditEntry, type NewAuditEntry, type Service } from '../domain/directory.ts';
import { DEFAULT_SERVICE_LEVEL_SECONDS, type Milestones } from '../domain/floor-stats.ts';
import type { InteractionRecord, InteractionState, Party } from '../domain/interaction.ts';
import type { RecordingFile } from '../domain/recording.ts';
import type { AskedRating, SeenSms, SmsDelivery, SmsDeliveryStatus, SmsGatewayKind, SmsRoute, StoredPart } from '../domain/sms-ports.ts';
import type { SmsEncoding } from '../domain/sms-segments.ts';
import type { TimelineEntry, TimelineKind } from '../domain/timeline.ts';
import { DEFAULT_WRAP_UP_SECONDS } from '../domain/wrap-up.ts';

export type Row = Record<string, unknown>;

export const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
export const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const flag = (v: unknown) => v === true || Number(v) === 1;
const parsed = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
export const parsedOrNull = <T>(v: unknown): T | null => (v === null || v === undefined ? null : parsed<T>(v));
// JSON as the engines take it: text (a PostgreSQL json column casts it; an array must not reach pg as
// an array, which it would send as a PostgreSQL array).
export const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

// Column order of `interactions` in every engine's upsert.
export const INTERACTION_COLUMNS = [
  'id', 'service_id', 'channel', 'customer_name', 'customer_phone', 'token_hash', 'state', 'offered_to', 'offered_at', 'agent_id',
  'created_at', 'accepted_at', 'ended_at', 'ended_by', 'context', 'last_seq', 'call_legs', 'video', 'requeued_at', 'start_key_hash', 'start_token_salt', 'held_since',
] as const;

// Columns an upsert of an interaction changes; the rest are fixed when it is created.
export const INTERACTION_UPDATES = ['state', 'offered_to', 'offered_at', 'agent_id', 'accepted_at', 'ended_at', 'ended_by', 'context', 'last_seq', 'call_legs', 'video', 'requeued_at', 'held_since'] as const;

export function interactionValues(rec: InteractionRecord): (string | number | null)[] {
  return [
    rec.id, rec.serviceId, rec.channel, rec.customer.name, rec.customer.phone, rec.tokenHash, rec.state, rec.offeredTo, rec.offeredAt,
    rec.agentId, rec.createdAt, rec.acceptedAt, rec.endedAt, rec.endedBy, json(rec.context), rec.lastSeq, json(rec.callLegs), json(rec.video),
    rec.requeuedAt, rec.startKey?.hash ?? null, rec.startKey?.tokenSalt ?? null, rec.heldSince,
  ];
}

export function toInteraction(row: Row): InteractionRecord {
  return {
    id: String(row.id),
    serviceId: String(row.service_id),
    channel: row.channel as InteractionRecord['channel'],
    customer: { name: String(row.customer_name), phone: String(row.customer_phone) },
    tokenHash: String(row.token_hash),
    startKey: row.start_key_hash ? { hash: String(row.start_key_hash), tokenSalt: String(row.start_token_salt) } : null,
    state: row.state as InteractionState,
    offeredTo: str(row.offered_to),
    offeredAt: num(row.offered_at),
    agentId: str(row.agent_id),
    createdAt: Number(row.created_at),
    acceptedAt: num(row.accepted_at),
    requeuedAt: num(row.requeued_at),
    heldSince: num(row.held_since),
    endedAt: num(row.ended_at),
    endedBy: str(row.ended_by) as Party | null,
    context: parsed(row.context),
    lastSeq: Number(row.last_seq),
    callLegs: parsedOrNull<InteractionRecord['callLegs']>(row.call_legs) ?? [],
    video: parsedOrNull(row.video),
  };
}

// The wallboard's slice of an interaction (listMilestonesSince): a few columns, no context.
export const MILESTONES_SQL = (mark: (i: number) => string) =>
  `SELECT id, service_id, created_at, accepted_at, requeued_at, ended_at, call_legs FROM interactions WHERE created_at >= ${mark(0)} OR ended_at >= ${mark(1)}`;

export function toMilestones(row: Row): Milestones {
  const legs = parsedOrNull<Array<{ answeredAt: number | null }>>(row.call_legs) ?? [];
  return {
    id: String(row.id),
    serviceId: String(row.service_id),
    createdAt: Number(row.created_at),
    acceptedAt: num(row.accepted_at),
    requeuedAt: num(row.requeued_at),
    endedAt: num(row.ended_at),
    callsAnsweredAt: legs.map((leg) => leg.answeredAt ?? null),
  };
}

// Column order of `timeline` in every engine's insert.
export const TIMELINE_COLUMNS = ['interaction_id', 'seq', 'id', 'kind', 'author', 'agent_id', 'text', 'client_id', 'attachment', 'data', 'created_at'] as const;

export function timelineValues(e: TimelineEntry): (string | number | null)[] {
  return [e.interactionId, e.seq, e.id, e.kind, e.author, e.agentId, e.text, e.clientId, json(e.attachment), json(e.data), e.createdAt];
}

export function toEntry(row: Row): TimelineEntry {
  return {
    id: String(row.id),
    interactionId: String(row.interaction_id),
    seq: Number(row.seq),
    kind: row.kind as TimelineKind,
    author: row.author as Party,
    agentId: str(row.agent_id),
    text: str(row.text),
    clientId: str(row.client_id),
    attachment: parsedOrNull(row.attachment),
    data: parsedOrNull(row.data),
    createdAt: Number(row.created_at),
  };
}

export const clientIdTaken = (clientId: string | null) =>
  `client_id ${clientId} already names another message of this chat: send it again to get that one.`;

// The store's refusal of an entry whose seq its chat holds already (another writer, or a write whose
// outcome was unknown, stored it): the domain reads the chat's last seq again (timeline-writer.ts).
export const seqTaken = (entry: { interactionId: string; seq: number }) =>
  `seq ${entry.seq} of interaction ${entry.interactionId} is stored already (another write took it): send again.`;

// Column order of `services` and `agents` in every engine's upsert. Flags go as 0/1, which both engines
// take (PostgreSQL reads '1' and '0' as booleans).
export const SERVICE_COLUMNS = [
  'id', 'name', 'auto_dial', 'sms_number', 'record_calls', 'disabled', 'service_level_seconds', 'disposition_codes', 'wrap_up_seconds', 'after_wrap_up', 'canned_responses',
] as const;
export const AGENT_COLUMNS = ['id', 'display_name', 'password_hash', 'service_ids', 'role', 'disabled'] as const;
const bit = (v: boolean | undefined) => (v ? 1 : 0);

export function serviceValues(s: Service): (string | number | null)[] {
  return [
    s.id, s.name, bit(s.autoDial), s.smsNumber ?? null, bit(s.recordCalls), bit(s.disabled), s.serviceLevelSeconds ?? DEFAULT_SERVICE_LEVEL_SECONDS,
    json(s.dispositionCodes ?? []), s.wrapUpSeconds ?? DEFAULT_WRAP_UP_SECONDS, s.afterWrapUp ?? 'ready', json(s.cannedResponses ?? []),
  ];
}

export function agentValues(a: Agent): (string | number | null)[] {
  return [a.id, a.displayName, a.passwordHash, json(a.serviceIds), a.role, bit(a.disabled)];
}

export function toService(row: Row): Service {
  return {
    id: String(row.id),
    name: String(row.name),
    autoDial: flag(row.auto_dial),
    smsNumber: str(row.sms_number),
    recordCalls: flag(row.record_calls),
    disabled: flag(row.disabled),
    serviceLevelSeconds: num(row.service_level_seconds) ?? DEFAULT_SERVICE_LEVEL_SECONDS,
    dispositionCodes: parsedOrNull<string[]>(row.disposition_codes) ?? [],
    wrapUpSeconds: num(row.wrap_up_seconds) ?? DEFAULT_WRAP_UP_SECONDS,
    afterWrapUp: row.after_wrap_up === 'not_ready' ? 'not_ready' : 'ready',
    cannedResponses: parsedOrNull<string[]>(row.canned_responses) ?? [],
  };
}

export function toAgent(row: Row): Agent {
  return {
    id: String(row.id),
    displayName: String(row.display_name),
    passwordHash: String(row.password_hash),
    serviceIds: parsed(row.service_ids),
    role: AGENT_ROLES.find((r) => r === row.role) ?? 'agent',
    disabled: flag(row.disabled),
  };
}

// Column order of `audit_log` in every engine's insert (seq is the database's).
export const AUDIT_COLUMNS = ['at', 'actor', 'action', 'target_kind', 'target_id', 'before', 'after'] as const;

export function auditValues(a: NewAuditEntry): (string | number | null)[] {
  return [a.at, a.actor, a.action, a.targetKind, a.targetId, json(a.before), json(a.after)];
}

export function toAudit(row: Row): AuditEntry {
  return {
    seq: Number(row.seq),
    at: Number(row.at),
    actor: String(row.actor),
    action: String(row.action),
    targetKind: row.target_kind === 'agent' ? 'agent' : 'service',
    targetId: String(row.target_id),
    before: parsedOrNull(row.before),
    after: parsedOrNull(row.after),
  };
}

// Column order of `sms_inbound` for a seen id and for a part waiting for its siblings.
export const SEEN_COLUMNS = ['id', 'from_number', 'to_number', 'gateway', 'received_at', 'pending'] as const;
export const PART_COLUMNS = [...SEEN_COLUMNS, 'ref', 'total', 'part', 'text'] as const;

export function seenValues(sms: SeenSms): (string | number)[] {
  return [sms.id, sms.from, sms.to, sms.gateway, sms.receivedAt, 0];
}

export function partValues(p: StoredPart): (string | number)[] {
  return [p.id, p.from, p.to, p.gateway, p.receivedAt, 1, p.ref, p.total, p.part, p.text];
}

export function toPart(row: Row): StoredPart {
  return {
    id: String(row.id),
    from: String(row.from_number),
    to: String(row.to_number),
    gateway: String(row.gateway) as SmsGatewayKind,
    receivedAt: Number(row.received_at),
    ref: Number(row.ref),
    total: Number(row.total),
    part: Number(row.part),
    text: String(row.text ?? ''),
  };
}

export const ROUTE_COLUMNS = ['interaction_id', 'customer_number', 'service_number', 'gateway', 'created_at'] as const;

export function routeValues(r: SmsRoute): (string | number)[] {
  return [r.interactionId, r.customerNumber, r.serviceNumber, r.gateway, r.createdAt];
}

export function toRoute(row: Row): SmsRoute {
  return {
    interactionId: String(row.interaction_id),
    customerNumber: String(row.customer_number),
    serviceNumber: String(row.service_number),
    gateway: String(row.gateway) as SmsGatewayKind,
    createdAt: Number(row.created_at),
  };
}

// Column order of `sms_outbound` in every engine's upsert.
export const DELIVERY_COLUMNS = ['id', 'interaction_id', 'from_number', 'to_number', 'segments', 'encoding', 'status', 'detail', 'updated_at'] as const;

export function deliveryValues(d: SmsDelivery): (string | number | null)[] {
  return [d.id, d.interactionId, d.from, d.to, d.segments, d.encoding, d.status, d.detail, d.updatedAt];
}

export function toDelivery(row: Row): SmsDelivery {
  return {
    id: String(row.id),
    interactionId: String(row.interaction_id),
    from: String(row.from_number),
    to: String(row.to_number),
    segments: Number(row.segments),
    encoding: String(row.encoding) as SmsEncoding,
    status: String(row.status) as SmsDeliveryStatus,
    detail: str(row.detail),
    updatedAt: Number(row.updated_at),
  };
}

export function toAskedRating(row: Row): AskedRating {
  return {
    interactionId: String(row.interaction_id),
    customerNumber: String(row.to_number),
    serviceNumber: String(row.from_number),
    askedAt: Number(row.ended_at),
  };
}

export function recordingFileOf(row: Row): RecordingFile {
  return { id: String(row.id), interactionId: String(row.interaction_id), contentType: String(row.content_type), size: Number(row.size), recordedAt: Number(row.created_at) };
}

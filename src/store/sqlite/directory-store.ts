import type { SQLInputValue } from 'node:sqlite';
import { AGENT_ROLES, type Agent, type AgentRole, type AuditEntry, type NewAuditEntry, type Service } from '../../domain/directory.ts';
import type { Directory } from '../../domain/ports.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { WriteOp } from './write-batcher.ts';

const SAVE_SERVICE = `INSERT INTO services (id, name, auto_dial, sms_number, record_calls, disabled) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET name = excluded.name, auto_dial = excluded.auto_dial, sms_number = excluded.sms_number,
  record_calls = excluded.record_calls, disabled = excluded.disabled`;

const SAVE_AGENT = `INSERT INTO agents (id, display_name, password_hash, service_ids, role, disabled) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, password_hash = excluded.password_hash,
  service_ids = excluded.service_ids, role = excluded.role, disabled = excluded.disabled`;

const APPEND_AUDIT = 'INSERT INTO audit_log (at, actor, action, target_kind, target_id, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)';

export class SqliteDirectory extends SqliteStore implements Directory {
  async listServices(): Promise<Service[]> {
    return this.all('SELECT * FROM services ORDER BY id', toService);
  }

  async getService(id: string): Promise<Service | undefined> {
    return this.one('SELECT * FROM services WHERE id = ?', toService, id);
  }

  saveService(s: Service, audit?: NewAuditEntry): Promise<void> {
    const row = [s.id, s.name, s.autoDial ? 1 : 0, s.smsNumber ?? null, s.recordCalls ? 1 : 0, s.disabled ? 1 : 0];
    return this.batcher.write(withAudit([SAVE_SERVICE, row], audit));
  }

  async listAgents(): Promise<Agent[]> {
    return this.all('SELECT * FROM agents ORDER BY id', toAgent);
  }

  async getAgent(id: string): Promise<Agent | undefined> {
    return this.one('SELECT * FROM agents WHERE id = ?', toAgent, id);
  }

  saveAgent(a: Agent, audit?: NewAuditEntry): Promise<void> {
    const row = [a.id, a.displayName, a.passwordHash, JSON.stringify(a.serviceIds), a.role, a.disabled ? 1 : 0];
    return this.batcher.write(withAudit([SAVE_AGENT, row], audit));
  }

  async listAudit(limit: number): Promise<AuditEntry[]> {
    return this.all('SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?', toAudit, limit);
  }
}

function withAudit(op: [string, SQLInputValue[]], audit: NewAuditEntry | undefined): WriteOp[] {
  if (!audit) return [op];
  const json = (v: unknown) => (v === null ? null : JSON.stringify(v));
  return [op, [APPEND_AUDIT, [audit.at, audit.actor, audit.action, audit.targetKind, audit.targetId, json(audit.before), json(audit.after)]]];
}

function toService(row: Record<string, unknown>): Service {
  return {
    id: String(row.id),
    name: String(row.name),
    autoDial: Number(row.auto_dial) === 1,
    smsNumber: row.sms_number === null ? null : String(row.sms_number),
    recordCalls: Number(row.record_calls) === 1,
    disabled: Number(row.disabled) === 1,
  };
}

function toAgent(row: Record<string, unknown>): Agent {
  const role = AGENT_ROLES.find((r) => r === row.role) ?? 'agent';
  return {
    id: String(row.id),
    displayName: String(row.display_name),
    passwordHash: String(row.password_hash),
    serviceIds: JSON.parse(String(row.service_ids)),
    role: role as AgentRole,
    disabled: Number(row.disabled) === 1,
  };
}

function toAudit(row: Record<string, unknown>): AuditEntry {
  const parse = (v: unknown) => (v === null ? null : (JSON.parse(String(v)) as Record<string, unknown>));
  return {
    seq: Number(row.seq),
    at: Number(row.at),
    actor: String(row.actor),
    action: String(row.action),
    targetKind: row.target_kind === 'agent' ? 'agent' : 'service',
    targetId: String(row.target_id),
    before: parse(row.before),
    after: parse(row.after),
  };
}

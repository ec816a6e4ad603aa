import type { Agent, AuditEntry, NewAuditEntry, Service } from '../../domain/directory.ts';
import type { Directory } from '../../domain/ports.ts';
import { agentValues, auditValues, serviceValues, toAgent, toAudit, toService } from '../rows.ts';
import { sqlitePlaceholder, writeStatements } from '../sql.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { WriteOp } from './write-batcher.ts';

const SQL = writeStatements(sqlitePlaceholder);

export class SqliteDirectory extends SqliteStore implements Directory {
  async listServices(): Promise<Service[]> {
    return this.all('SELECT * FROM services ORDER BY id', toService);
  }

  async getService(id: string): Promise<Service | undefined> {
    return this.one('SELECT * FROM services WHERE id = ?', toService, id);
  }

  saveService(s: Service, audit?: NewAuditEntry): Promise<void> {
    return this.batcher.write(withAudit([SQL.saveService, serviceValues(s)], audit));
  }

  async listAgents(): Promise<Agent[]> {
    return this.all('SELECT * FROM agents ORDER BY id', toAgent);
  }

  async getAgent(id: string): Promise<Agent | undefined> {
    return this.one('SELECT * FROM agents WHERE id = ?', toAgent, id);
  }

  saveAgent(a: Agent, audit?: NewAuditEntry): Promise<void> {
    return this.batcher.write(withAudit([SQL.saveAgent, agentValues(a)], audit));
  }

  async listAudit(limit: number, beforeSeq = Number.MAX_SAFE_INTEGER): Promise<AuditEntry[]> {
    return this.all('SELECT * FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT ?', toAudit, beforeSeq, limit);
  }
}

function withAudit(op: WriteOp, audit: NewAuditEntry | undefined): WriteOp[] {
  return audit ? [op, [SQL.appendAudit, auditValues(audit)]] : [op];
}

import type { Agent, AuditEntry, NewAuditEntry, Service } from '../../domain/directory.ts';
import type { Directory } from '../../domain/ports.ts';
import { agentValues, auditValues, serviceValues, toAgent, toAudit, toService } from '../rows.ts';
import { pgPlaceholder, writeStatements } from '../sql.ts';
import { PgStore } from './pg-store.ts';

const SQL = writeStatements(pgPlaceholder);

// Services, agents and the audit trail. A change and its audit entry are one write: both or neither.
export class PgDirectory extends PgStore implements Directory {
  listServices(): Promise<Service[]> {
    return this.all('SELECT * FROM services ORDER BY id', toService);
  }

  getService(id: string): Promise<Service | undefined> {
    return this.one('SELECT * FROM services WHERE id = $1', toService, id);
  }

  saveService(s: Service, audit?: NewAuditEntry): Promise<void> {
    return this.write([SQL.saveService, serviceValues(s)], ...auditOf(audit));
  }

  listAgents(): Promise<Agent[]> {
    return this.all('SELECT * FROM agents ORDER BY id', toAgent);
  }

  getAgent(id: string): Promise<Agent | undefined> {
    return this.one('SELECT * FROM agents WHERE id = $1', toAgent, id);
  }

  saveAgent(a: Agent, audit?: NewAuditEntry): Promise<void> {
    return this.write([SQL.saveAgent, agentValues(a)], ...auditOf(audit));
  }

  listAudit(limit: number, beforeSeq = Number.MAX_SAFE_INTEGER): Promise<AuditEntry[]> {
    return this.all('SELECT * FROM audit_log WHERE seq < $1 ORDER BY seq DESC LIMIT $2', toAudit, beforeSeq, limit);
  }
}

function auditOf(audit: NewAuditEntry | undefined): [string, readonly unknown[]][] {
  return audit ? [[SQL.appendAudit, auditValues(audit)]] : [];
}

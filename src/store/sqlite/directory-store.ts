import type { Agent, Service } from '../../domain/directory.ts';
import type { Directory } from '../../domain/ports.ts';
import { SqliteStore } from './sqlite-store.ts';

export class SqliteDirectory extends SqliteStore implements Directory {
  async listServices(): Promise<Service[]> {
    return this.all('SELECT * FROM services ORDER BY id', toService);
  }

  async getService(id: string): Promise<Service | undefined> {
    return this.one('SELECT * FROM services WHERE id = ?', toService, id);
  }

  saveService(s: Service): Promise<void> {
    const sql = 'INSERT INTO services (id, name, auto_dial) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, auto_dial = excluded.auto_dial';
    return this.batcher.write([[sql, [s.id, s.name, s.autoDial ? 1 : 0]]]);
  }

  async listAgents(): Promise<Agent[]> {
    return this.all('SELECT * FROM agents ORDER BY id', toAgent);
  }

  async getAgent(id: string): Promise<Agent | undefined> {
    return this.one('SELECT * FROM agents WHERE id = ?', toAgent, id);
  }

  saveAgent(a: Agent): Promise<void> {
    const sql = `INSERT INTO agents (id, display_name, password_hash, service_ids, role) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, password_hash = excluded.password_hash,
       service_ids = excluded.service_ids, role = excluded.role`;
    return this.batcher.write([[sql, [a.id, a.displayName, a.passwordHash, JSON.stringify(a.serviceIds), a.role]]]);
  }

}

function toService(row: Record<string, unknown>): Service {
  return { id: String(row.id), name: String(row.name), autoDial: Number(row.auto_dial) === 1 };
}

function toAgent(row: Record<string, unknown>): Agent {
  return {
    id: String(row.id),
    displayName: String(row.display_name),
    passwordHash: String(row.password_hash),
    serviceIds: JSON.parse(String(row.service_ids)),
    role: row.role === 'admin' ? 'admin' : 'agent',
  };
}

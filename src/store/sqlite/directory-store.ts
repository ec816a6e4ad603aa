import type { DatabaseSync } from 'node:sqlite';
import type { Agent, Service } from '../../domain/directory.ts';
import type { Directory } from '../../domain/ports.ts';
import type { WriteBatcher } from './write-batcher.ts';

export class SqliteDirectory implements Directory {
  readonly #db: DatabaseSync;
  readonly #batcher: WriteBatcher;

  constructor(db: DatabaseSync, batcher: WriteBatcher) {
    this.#db = db;
    this.#batcher = batcher;
  }

  async listServices(): Promise<Service[]> {
    return this.#all('SELECT * FROM services ORDER BY id', toService);
  }

  async getService(id: string): Promise<Service | undefined> {
    return this.#one('SELECT * FROM services WHERE id = ?', id, toService);
  }

  saveService(s: Service): Promise<void> {
    const sql = 'INSERT INTO services (id, name, auto_dial) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, auto_dial = excluded.auto_dial';
    return this.#batcher.write([[sql, [s.id, s.name, s.autoDial ? 1 : 0]]]);
  }

  async listAgents(): Promise<Agent[]> {
    return this.#all('SELECT * FROM agents ORDER BY id', toAgent);
  }

  async getAgent(id: string): Promise<Agent | undefined> {
    return this.#one('SELECT * FROM agents WHERE id = ?', id, toAgent);
  }

  saveAgent(a: Agent): Promise<void> {
    const sql = `INSERT INTO agents (id, display_name, password_hash, service_ids, role) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, password_hash = excluded.password_hash,
       service_ids = excluded.service_ids, role = excluded.role`;
    return this.#batcher.write([[sql, [a.id, a.displayName, a.passwordHash, JSON.stringify(a.serviceIds), a.role]]]);
  }

  #all<T>(sql: string, map: (row: Record<string, unknown>) => T): T[] {
    return this.#db.prepare(sql).all().map(map);
  }

  #one<T>(sql: string, id: string, map: (row: Record<string, unknown>) => T): T | undefined {
    const row = this.#db.prepare(sql).get(id);
    return row ? map(row) : undefined;
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

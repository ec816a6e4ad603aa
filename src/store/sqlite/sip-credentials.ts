import type { DatabaseSync } from 'node:sqlite';
import type { SipCredentialStore } from '../../domain/ports.ts';
import type { WriteBatcher } from './write-batcher.ts';

export class SqliteSipCredentials implements SipCredentialStore {
  readonly #db: DatabaseSync;
  readonly #batcher: WriteBatcher;

  constructor(db: DatabaseSync, batcher: WriteBatcher) {
    this.#db = db;
    this.#batcher = batcher;
  }

  async get(endpoint: string): Promise<string | undefined> {
    const row = this.#db.prepare('SELECT password FROM sip_credentials WHERE endpoint = ?').get(endpoint);
    return row ? String(row.password) : undefined;
  }

  set(endpoint: string, password: string): Promise<void> {
    const sql =
      'INSERT INTO sip_credentials (endpoint, password, created_at) VALUES (?, ?, ?) ON CONFLICT (endpoint) DO UPDATE SET password = excluded.password, created_at = excluded.created_at';
    return this.#batcher.write([[sql, [endpoint, password, Date.now()]]]);
  }
}

import type { DatabaseSync } from 'node:sqlite';
import type { SipCredentialStore } from '../../domain/ports.ts';

export class SqliteSipCredentials implements SipCredentialStore {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  async get(endpoint: string): Promise<string | undefined> {
    const row = this.#db.prepare('SELECT password FROM sip_credentials WHERE endpoint = ?').get(endpoint);
    return row ? String(row.password) : undefined;
  }

  async set(endpoint: string, password: string): Promise<void> {
    this.#db
      .prepare('INSERT INTO sip_credentials (endpoint, password, created_at) VALUES (?, ?, ?) ON CONFLICT (endpoint) DO UPDATE SET password = excluded.password, created_at = excluded.created_at')
      .run(endpoint, password, Date.now());
  }
}

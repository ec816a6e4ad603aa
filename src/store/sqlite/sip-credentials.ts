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

  async digest(endpoint: string): Promise<string | undefined> {
    const row = this.#db.prepare('SELECT md5_cred FROM sip_credentials WHERE endpoint = ?').get(endpoint);
    return row ? String(row.md5_cred) : undefined;
  }

  setDigest(endpoint: string, md5Cred: string): Promise<void> {
    const sql =
      'INSERT INTO sip_credentials (endpoint, md5_cred, created_at) VALUES (?, ?, ?) ON CONFLICT (endpoint) DO UPDATE SET md5_cred = excluded.md5_cred, created_at = excluded.created_at';
    return this.#batcher.write([[sql, [endpoint, md5Cred, Date.now()]]]);
  }
}

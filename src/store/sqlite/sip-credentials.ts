import type { SipCredentialStore } from '../../domain/ports.ts';
import { SqliteStore } from './sqlite-store.ts';

export class SqliteSipCredentials extends SqliteStore implements SipCredentialStore {
  async digest(endpoint: string): Promise<string | undefined> {
    return this.one('SELECT md5_cred FROM sip_credentials WHERE endpoint = ?', (row) => String(row.md5_cred), endpoint);
  }

  setDigest(endpoint: string, md5Cred: string): Promise<void> {
    const sql =
      'INSERT INTO sip_credentials (endpoint, md5_cred, created_at) VALUES (?, ?, ?) ON CONFLICT (endpoint) DO UPDATE SET md5_cred = excluded.md5_cred, created_at = excluded.created_at';
    return this.batcher.write([[sql, [endpoint, md5Cred, Date.now()]]]);
  }

  remove(endpoint: string): Promise<void> {
    return this.batcher.write([['DELETE FROM sip_credentials WHERE endpoint = ?', [endpoint]]]);
  }
}

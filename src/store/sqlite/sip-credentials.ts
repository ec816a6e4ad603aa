import type { SipCredentialStore } from '../../domain/ports.ts';
import { sqlitePlaceholder, writeStatements } from '../sql.ts';
import { SqliteStore } from './sqlite-store.ts';

const { setDigest } = writeStatements(sqlitePlaceholder);

export class SqliteSipCredentials extends SqliteStore implements SipCredentialStore {
  async digest(endpoint: string): Promise<string | undefined> {
    return this.one('SELECT md5_cred FROM sip_credentials WHERE endpoint = ?', (row) => String(row.md5_cred), endpoint);
  }

  setDigest(endpoint: string, md5Cred: string): Promise<void> {
    return this.batcher.write([[setDigest, [endpoint, md5Cred, Date.now()]]]);
  }

  remove(endpoint: string): Promise<void> {
    return this.batcher.write([['DELETE FROM sip_credentials WHERE endpoint = ?', [endpoint]]]);
  }
}

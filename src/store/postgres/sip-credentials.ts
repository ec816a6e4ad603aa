import type { SipCredentialStore } from '../../domain/ports.ts';
import { pgPlaceholder, writeStatements } from '../sql.ts';
import { PgStore } from './pg-store.ts';

const { setDigest } = writeStatements(pgPlaceholder);

export class PgSipCredentials extends PgStore implements SipCredentialStore {
  digest(endpoint: string): Promise<string | undefined> {
    return this.one('SELECT md5_cred FROM sip_credentials WHERE endpoint = $1', (row) => String(row.md5_cred), endpoint);
  }

  setDigest(endpoint: string, md5Cred: string): Promise<void> {
    return this.write([setDigest, [endpoint, md5Cred, Date.now()]]);
  }

  remove(endpoint: string): Promise<void> {
    return this.write(['DELETE FROM sip_credentials WHERE endpoint = $1', [endpoint]]);
  }
}

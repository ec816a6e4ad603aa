import { join } from 'node:path';
import type { Directory, AttachmentStore, InteractionStore, RecordingStore, SipCredentialStore } from '../domain/ports.ts';
import type { SmsStore } from '../domain/sms-ports.ts';
import type { ClosureStore } from '../domain/closure-ports.ts';
import { FileAttachmentStore } from './files/attachment-store.ts';
import { PgAttachmentStore } from './postgres/attachment-store.ts';
import { PgClosureStore } from './postgres/closure-store.ts';
import { openPostgres, type DatabaseHealth } from './postgres/database.ts';
import { PgDirectory } from './postgres/directory-store.ts';
import { PgRecordingStore } from './postgres/recording-store.ts';
import { PgInteractionStore } from './postgres/interaction-store.ts';
import { PgSipCredentials } from './postgres/sip-credentials.ts';
import { PgSmsStore } from './postgres/sms-store.ts';
import { SqliteClosureStore } from './sqlite/closure-store.ts';
import { SqliteDirectory } from './sqlite/directory-store.ts';
import { openDurableDatabase } from './sqlite/durable-database.ts';
import { SqliteInteractionStore } from './sqlite/interaction-store.ts';
import { SqliteRecordingStore } from './sqlite/recording-store.ts';
import { SqliteSipCredentials } from './sqlite/sip-credentials.ts';
import { SqliteSmsStore } from './sqlite/sms-store.ts';

export type StoreEngine = 'sqlite' | 'postgresql';

// Everything the product stores, on one engine.
export interface Stores {
  engine: StoreEngine;
  store: InteractionStore;
  directory: Directory;
  smsStore: SmsStore;
  sipCredentials: SipCredentialStore;
  attachments: AttachmentStore;
  // Call recordings (PostgreSQL: in the database; SQLite: files under DATA_DIR/recordings).
  recordings: RecordingStore;
  // Wrap-ups and ratings (closure-ports.ts).
  closures: ClosureStore;
  // After a rolling upgrade: the agents' rows nodes on older code did not write (sql.ts
  // catchUpAgentsStatements); run by the leader as it takes over.
  catchUpHistory(): Promise<{ added: number; ended: number }>;
  // For /healthz's `database`.
  health(): Promise<DatabaseHealth & { engine: StoreEngine }>;
  // Waits for every write asked for, then closes.
  close(): Promise<void>;
}

export interface StoreSettings {
  // SQLite's file and the photos live here when there is no `databaseUrl`.
  dataDir: string;
  // postgres://...: PostgreSQL holds everything, photos included.
  databaseUrl?: string;
}

// PostgreSQL when a DATABASE_URL is given, else the embedded SQLite under DATA_DIR; the schema is
// brought up to date either way. `onFailure` hears what fails outside any one write: SQLite's writer
// thread dying (nothing more can be stored), a pooled PostgreSQL connection breaking while idle.
// `onCheckpointError` hears SQLite's WAL checkpoints that fail (nothing is lost; the next one tries).
export async function openStores(settings: StoreSettings, onFailure: (err: unknown) => void, onCheckpointError?: (err: Error) => void): Promise<Stores> {
  return settings.databaseUrl ? openPostgresStores(settings.databaseUrl, onFailure) : openSqliteStores(settings.dataDir, onFailure, onCheckpointError);
}

async function openPostgresStores(url: string, onFailure: (err: unknown) => void): Promise<Stores> {
  const database = await openPostgres(url, onFailure);
  const store = new PgInteractionStore(database);
  return {
    engine: 'postgresql',
    store,
    catchUpHistory: () => store.catchUpAgents(),
    directory: new PgDirectory(database),
    smsStore: new PgSmsStore(database),
    sipCredentials: new PgSipCredentials(database),
    attachments: new PgAttachmentStore(database),
    recordings: new PgRecordingStore(database),
    closures: new PgClosureStore(database),
    health: async () => ({ engine: 'postgresql', ...(await database.health()) }),
    close: () => database.close(),
  };
}

async function openSqliteStores(dataDir: string, onFailure: (err: unknown) => void, onCheckpointError?: (err: Error) => void): Promise<Stores> {
  const database = openDurableDatabase(join(dataDir, 'contact-center.sqlite'), onFailure, onCheckpointError);
  const { db, batcher } = database;
  const attachments = new FileAttachmentStore(join(dataDir, 'attachments'));
  await attachments.init();
  const recordingFiles = new FileAttachmentStore(join(dataDir, 'recordings'));
  await recordingFiles.init();
  const store = new SqliteInteractionStore(db, batcher);
  return {
    engine: 'sqlite',
    store,
    catchUpHistory: () => store.catchUpAgents(),
    directory: new SqliteDirectory(db, batcher),
    smsStore: new SqliteSmsStore(db, batcher),
    sipCredentials: new SqliteSipCredentials(db, batcher),
    attachments,
    recordings: new SqliteRecordingStore(db, batcher, recordingFiles),
    closures: new SqliteClosureStore(db, batcher),
    async health() {
      // Reads work without the writer thread, writes do not.
      if (batcher.failure) return { engine: 'sqlite', state: 'down', detail: `the writer thread stopped: ${String((batcher.failure as Error).message ?? batcher.failure)}` };
      try {
        db.prepare('SELECT 1').get();
        return { engine: 'sqlite', state: 'up' };
      } catch (err) {
        return { engine: 'sqlite', state: 'down', detail: (err as Error).message };
      }
    },
    close: () => database.close(),
  };
}

// The embedded store on a real SQLite file in a temporary folder, for the store's integration tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { Test } from 'tap';
import type { InteractionRecord } from '../../src/domain/interaction.ts';
import type { TimelineEntry } from '../../src/domain/timeline.ts';
import { openDurableDatabase } from '../../src/store/sqlite/durable-database.ts';
import { SqliteInteractionStore } from '../../src/store/sqlite/interaction-store.ts';
import type { TimelineIndexOptions } from '../../src/store/sqlite/timeline-index.ts';
import { interactionRecord } from '../unit/fakes.ts';

export async function tempFile(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mcc-store-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'contact-center.sqlite');
}

export const interaction = (id: string): InteractionRecord =>
  interactionRecord({ id, state: 'active', agentId: 'agent1', customer: { name: 'Ada', phone: '+15551230000' }, tokenHash: 'ab'.repeat(32), createdAt: 1_700_000_000_000 });

export function message(interactionId: string, seq: number, clientId: string | null): TimelineEntry {
  return {
    id: `${interactionId}-m${seq}`,
    interactionId,
    seq,
    kind: 'message',
    author: 'customer',
    agentId: null,
    text: `text ${seq}`,
    clientId,
    attachment: null,
    data: null,
    createdAt: 1_700_000_000_000 + seq,
  };
}

// `onIndexError` hears of failed index writes; by default one fails the test run.
export function openStore(file: string, index?: TimelineIndexOptions, onIndexError?: (err: unknown) => void) {
  const fail = (err: unknown) => {
    throw err;
  };
  const database = openDurableDatabase(file, fail);
  return { database, store: new SqliteInteractionStore(database.db, database.batcher, { onError: onIndexError ?? fail, index }) };
}

export async function seed(store: SqliteInteractionStore, db: DatabaseSync, id: string): Promise<void> {
  db.exec("INSERT OR IGNORE INTO services (id, name, auto_dial) VALUES ('roadside', 'Roadside Assistance', 0)");
  await store.saveInteraction(interaction(id));
}

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
import { entry, record } from './store-contract.ts';

export async function tempFile(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mcc-store-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'contact-center.sqlite');
}

export const interaction = (id: string): InteractionRecord => record(id, { state: 'active', agentId: 'agent1' });

export const message = (interactionId: string, seq: number, clientId: string | null): TimelineEntry => entry(interactionId, seq, { clientId });

// A dead writer thread fails the test run.
export function openStore(file: string) {
  const database = openDurableDatabase(file, (err) => {
    throw err;
  });
  return { database, store: new SqliteInteractionStore(database.db, database.batcher) };
}

export async function seed(store: SqliteInteractionStore, db: DatabaseSync, id: string): Promise<void> {
  db.exec("INSERT OR IGNORE INTO services (id, name, auto_dial) VALUES ('roadside', 'Roadside Assistance', 0)");
  await store.saveInteraction(interaction(id));
}

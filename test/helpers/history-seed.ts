// A real server on a data folder holding interactions stored beforehand through the stores, as the
// server itself would have stored them: for pages over many ended interactions, or timeline entries
// (a supervisor's) that would take a real call to make.
import type { Test } from 'tap';
import type { InteractionRecord } from '../../src/domain/interaction.ts';
import type { SupervisionState } from '../../src/domain/supervision.ts';
import type { TimelineEntry } from '../../src/domain/timeline.ts';
import { openStores, type Stores } from '../../src/store/open-stores.ts';
import { removeDir, startServer, type TestServer } from './server.ts';
import { entry, record } from './store-contract.ts';

export const T0 = 1_700_000_000_000;

// A first start makes the schema and the demo agents and services; `seed` writes while it is stopped.
export async function seededServer(t: Test, seed: (stores: Stores) => Promise<void>): Promise<TestServer> {
  const first = await startServer();
  t.teardown(() => removeDir(first.dataDir));
  await first.stop();
  const stores = await openStores({ dataDir: first.dataDir }, (err) => {
    throw err;
  });
  try {
    await seed(stores);
  } finally {
    await stores.close();
  }
  const server = await startServer({ dataDir: first.dataDir });
  t.teardown(() => server.stop());
  return server;
}

// An interaction `agentId` accepted and ended at `endedAt`.
export const ended = (id: string, agentId: string, endedAt: number, overrides: Partial<InteractionRecord> = {}): InteractionRecord =>
  record(id, { agentId, acceptedAt: T0, lastSeq: 1, ...overrides, state: 'ended', endedAt, endedBy: 'agent' });

// A step of Supervisor One (supervisor1) on the interaction's call, as SupervisionDesk writes it.
export const supervisionEntry = (interactionId: string, seq: number, state: SupervisionState, cause: string | null = null): TimelineEntry =>
  entry(interactionId, seq, {
    kind: 'supervision',
    author: 'system',
    agentId: 'supervisor1',
    text: null,
    data: { id: 'sv-1', supervisorId: 'supervisor1', state, startedAt: T0, answeredAt: T0 + 1, endedAt: state === 'ended' ? T0 + seq : null, cause, legId: 'leg-1' },
  });

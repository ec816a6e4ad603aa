// The cluster's wake-ups: a batch committed on one connection (the leader's store) NOTIFYs in its own
// transaction; another node LISTENs, reads the new entries by seq and emits them once each, in order,
// with no gap, through a dropped LISTEN connection and a rolled-back batch. Real PostgreSQL and the
// real ChangeListener and InteractionReplica; the two tables below stand in for the store's until the
// PostgreSQL store (branch pgstore) is merged.
import pg from 'pg';
import t from 'tap';
import { DomainEvents, type DomainEvent } from '../../src/domain/events.ts';
import type { InteractionRecord } from '../../src/domain/interaction.ts';
import { Interactions } from '../../src/domain/interactions.ts';
import type { InteractionStore } from '../../src/domain/ports.ts';
import { InteractionReplica } from '../../src/domain/replica.ts';
import type { TimelineEntry } from '../../src/domain/timeline.ts';
import { ChangeListener, notifyChanges, payloads } from '../../src/store/postgres/cluster/change-feed.ts';
import { eventually, sleep } from '../helpers/eventually.ts';
import { startPostgres } from '../helpers/postgres.ts';

const SCHEMA = `
CREATE TABLE interactions (id text PRIMARY KEY, state text NOT NULL, record jsonb NOT NULL);
CREATE TABLE timeline (interaction_id text NOT NULL, seq int NOT NULL, entry jsonb NOT NULL, PRIMARY KEY (interaction_id, seq));`;

function readsOf(pool: pg.Pool): InteractionStore {
  const refuse = () => Promise.reject(new Error('not used by the replica'));
  return {
    async loadOpenInteractions() {
      return (await pool.query<{ record: InteractionRecord }>(`SELECT record FROM interactions WHERE state <> 'ended'`)).rows.map((r) => r.record);
    },
    async getInteraction(id) {
      return (await pool.query<{ record: InteractionRecord }>('SELECT record FROM interactions WHERE id = $1', [id])).rows[0]?.record;
    },
    async listEntries(id, query = {}) {
      const { rows } = await pool.query<{ entry: TimelineEntry }>('SELECT entry FROM timeline WHERE interaction_id = $1 AND seq > $2 ORDER BY seq', [id, query.afterSeq ?? 0]);
      return rows.map((r) => r.entry);
    },
    findInteractionByStartKey: refuse,
    saveInteraction: refuse,
    appendEntry: refuse,
    findEntryByClientId: refuse,
    listHistory: refuse,
    listAgentsOf: refuse,
    countByState: refuse,
    listMilestonesSince: refuse,
  };
}

const record = (id: string, state: InteractionRecord['state'], lastSeq: number): InteractionRecord => ({
  id, serviceId: 'roadside', channel: 'web', customer: { name: 'Rosa', phone: '+4915112345678' }, tokenHash: '00', startKey: null, heldSince: null, state, offeredTo: null, offeredAt: null,
  agentId: state === 'active' ? 'agent1' : null, createdAt: 1, acceptedAt: null, requeuedAt: null, endedAt: null, endedBy: null, context: { fields: {} }, lastSeq, callLegs: [], video: null,
});

const entry = (interactionId: string, seq: number): TimelineEntry => ({
  id: `${interactionId}-${seq}`, interactionId, seq, kind: 'message', author: 'customer', agentId: null, text: `message ${seq}`, clientId: null, attachment: null, data: null, createdAt: seq,
});

// The leader's side: one transaction per batch, the NOTIFY inside it.
async function commitBatch(pool: pg.Pool, rec: InteractionRecord, seqs: number[], opts: { rollback?: boolean } = {}): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO interactions (id, state, record) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET state = excluded.state, record = excluded.record', [rec.id, rec.state, rec]);
    for (const seq of seqs) await client.query('INSERT INTO timeline VALUES ($1, $2, $3)', [rec.id, seq, entry(rec.id, seq)]);
    // A saved row without an entry (a new chat) notifies too, at the seq it has.
    await notifyChanges((text, values) => client.query(text, values as unknown[]), [{ kind: 'interaction', id: rec.id, seq: rec.lastSeq }, ...seqs.map((seq) => ({ kind: 'interaction' as const, id: rec.id, seq }))]);
    await client.query(opts.rollback ? 'ROLLBACK' : 'COMMIT');
  } finally {
    client.release();
  }
}

t.test('payloads fold one interaction per batch and stay under the NOTIFY limit', async (t) => {
  const many = Array.from({ length: 500 }, (_, i) => ({ kind: 'interaction' as const, id: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`, seq: 1 }));
  const chunks = payloads([...many, { kind: 'interaction', id: many[0]!.id, seq: 9 }]);
  t.ok(chunks.length > 1 && chunks.every((c) => c.length < 8000));
  const all = chunks.flatMap((c) => JSON.parse(c) as { id: string; seq: number }[]);
  t.equal(all.length, 500);
  t.equal(all.find((c) => c.id === many[0]!.id)!.seq, 9);
});

t.test('entries committed by one node reach another by seq: in order, once, no gap', async (t) => {
  const postgres = await startPostgres();
  t.teardown(() => postgres.stop());
  const url = await postgres.newDatabase();
  const leaderPool = new pg.Pool({ connectionString: url, max: 4 });
  const followerPool = new pg.Pool({ connectionString: url, max: 4 });
  t.teardown(() => Promise.all([leaderPool.end(), followerPool.end()]));
  await leaderPool.query(SCHEMA);

  const store = readsOf(followerPool);
  const events = new DomainEvents((err) => t.fail(String(err)));
  const seen: DomainEvent[] = [];
  const states: string[] = [];
  events.subscribe((e) => {
    seen.push(e);
    if (e.type === 'interaction_changed') states.push(e.interaction.state); // the record lives on: read it now
  });
  const interactions = new Interactions({ store, events, clock: { now: () => Date.now() } });
  const replica = new InteractionReplica({ interactions, store, events, gapWaitMs: 200, onError: (err) => t.fail(String(err)) });
  const errors: Error[] = [];
  const listener = new ChangeListener({
    connectionString: url,
    nodeId: 'node-b',
    onChanges: (changes) => {
      for (const c of changes) if (c.kind === 'interaction') void replica.follow(c.id);
    },
    onListening: () => void replica.resync(),
    onError: (err) => errors.push(err),
    reconnectMs: 100,
  });
  await listener.start();
  t.teardown(() => listener.stop());

  const chat = record('chat-1', 'queued', 0);
  await commitBatch(leaderPool, chat, []);
  await eventually('the new chat on the other node', () => interactions.get('chat-1'));

  let seq = 0;
  const batch = async (n: number) => commitBatch(leaderPool, { ...chat, state: 'active', lastSeq: seq + n }, Array.from({ length: n }, () => ++seq));
  for (let i = 0; i < 40; i++) await batch(1 + (i % 5));
  // A batch that rolls back notifies nobody and leaves no entry.
  await commitBatch(leaderPool, chat, [seq + 1], { rollback: true });

  // The LISTEN connection drops mid-stream: batches committed meanwhile arrive by catching up.
  const killer = new pg.Client({ connectionString: url });
  await killer.connect();
  t.teardown(() => killer.end());
  const writing = (async () => {
    for (let i = 0; i < 30; i++) {
      await batch(2);
      await sleep(5);
    }
  })();
  await sleep(30);
  const cut = await killer.query<{ n: number }>(`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = 'mcc-listen:node-b'`);
  t.equal(cut.rows[0]!.n, 1, 'the LISTEN connection was cut');
  await writing;

  await eventually(`every entry up to ${seq}`, () => (interactions.get('chat-1')!.lastSeq === seq ? true : undefined), 5000);
  await sleep(300);
  const applied = seen.flatMap((e) => (e.type === 'entry_appended' ? [e.entry.seq] : []));
  t.same(applied, Array.from({ length: seq }, (_, i) => i + 1), `seq 1..${seq}, each once, in order`);
  t.ok(errors.length >= 1, 'the dropped connection was reported');
  t.same(states, ['queued', 'active'], 'the row changes are heard once each');

  await commitBatch(leaderPool, { ...chat, state: 'ended', lastSeq: seq + 1 }, [seq + 1]);
  await eventually('the ended chat leaves the open registry', () => (interactions.get('chat-1') ? undefined : true));
});

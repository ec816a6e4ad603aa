// The batched timeline reads of the PostgreSQL store (a follower catching up on the chats a commit
// batch touched, a customer's send looking its client id up) cost the same however many messages the
// timeline holds: bench:chat --cluster lost half its throughput, and its p99 target, when the catch-up
// read was planned as a sequential scan of the whole timeline. Measured in pages read (EXPLAIN
// BUFFERS) on a real PostgreSQL, through the store's own connections, never in time.
import t from 'tap';
import { openPostgres, type PostgresDatabase } from '../../src/store/postgres/database.ts';
import { BY_CLIENT_ID, ENTRIES_AFTER } from '../../src/store/postgres/interaction-store.ts';
import { startPostgres } from '../helpers/postgres.ts';

const postgres = await startPostgres();
t.teardown(() => postgres.stop());

const CHATS = 200;

async function openDatabase(): Promise<PostgresDatabase> {
  const db = await openPostgres(await postgres.newDatabase(), (err) => {
    throw err;
  });
  t.teardown(() => db.close());
  await db.pool.query("INSERT INTO services (id, name) VALUES ('roadside', 'Roadside')");
  await db.pool.query(
    `INSERT INTO interactions (id, service_id, channel, customer_name, customer_phone, token_hash, state, created_at, context, last_seq)
     SELECT 'chat-' || n, 'roadside', 'chat', 'Customer', '+15550000', 'x', 'active', 0, '{}', 0 FROM generate_series(1, ${CHATS}) n`,
  );
  return db;
}

// Gives every chat messages up to seq `upTo`, interleaved as live chats write them, then ANALYZE.
async function fillTo(db: PostgresDatabase, from: number, upTo: number): Promise<void> {
  await db.pool.query(
    `INSERT INTO timeline (interaction_id, seq, id, kind, author, text, client_id, created_at)
     SELECT 'chat-' || n, s, 'e-' || n || '-' || s, 'message', 'customer', 'hello', 'c-' || s, 0
     FROM generate_series($1::int, $2::int) s CROSS JOIN generate_series(1, ${CHATS}) n ORDER BY s, n`,
    [from, upTo],
  );
  await db.pool.query('ANALYZE timeline');
}

interface Plan {
  Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number };
  JIT?: unknown;
}

async function explain(db: PostgresDatabase, sql: string, params: unknown[]): Promise<Plan> {
  const { rows } = await db.pool.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, params);
  return (rows[0]['QUERY PLAN'] as Plan[])[0]!;
}
const pages = (plan: Plan) => plan.Plan['Shared Hit Blocks'] + plan.Plan['Shared Read Blocks'];

// The new entries of 20 chats, each two behind.
const catchUp = (db: PostgresDatabase, lastSeq: number) => {
  const ids = Array.from({ length: 20 }, (_, i) => `chat-${i + 1}`);
  return explain(db, ENTRIES_AFTER, [ids, ids.map(() => lastSeq - 2)]);
};

t.test("a follower's catch-up read reads as many pages with 80,000 messages stored as with 4,000", async (t) => {
  const db = await openDatabase();
  await fillTo(db, 1, 20);
  const small = pages(await catchUp(db, 20));
  await fillTo(db, 21, 400);
  const large = pages(await catchUp(db, 400));
  const { rows } = await db.pool.query("SELECT pg_relation_size('timeline') / 8192 AS n");
  t.ok(large <= small * 1.5 + 20, `pages read: ${small} at 4,000 messages, ${large} at 80,000 (the timeline has ${rows[0].n} pages)`);
});

t.test("a send's client-id look-up reads a few pages per chat with 80,000 messages stored", async (t) => {
  const db = await openDatabase();
  await fillTo(db, 1, 400);
  const ids = Array.from({ length: 20 }, (_, i) => `chat-${i + 1}`);
  const plan = await explain(db, BY_CLIENT_ID, [ids, ids.map(() => 'c-not-sent-yet')]);
  t.ok(pages(plan) <= ids.length * 5, `${pages(plan)} pages read for ${ids.length} look-ups`);
});

t.test('the store does not JIT-compile its reads, however large the planner guesses them', async (t) => {
  const db = await openDatabase();
  await fillTo(db, 1, 400);
  // A follower catching up on 1,000 chats at once: the planner guesses 133 rows each, far above
  // jit_above_cost; compiling would cost more than the read.
  const ids = Array.from({ length: 1000 }, (_, i) => `chat-${(i % CHATS) + 1}`);
  const plan = await explain(db, ENTRIES_AFTER, [ids, ids.map(() => 398)]);
  t.equal(plan.JIT, undefined, 'no JIT in the plan');
  const { rows } = await db.pool.query("SELECT setting FROM pg_settings WHERE name = 'jit'");
  t.equal(rows[0].setting, 'off');
});

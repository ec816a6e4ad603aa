import type pg from 'pg';

// The cluster's own tables, next to the store's (pgstore's migrations): which nodes are up, who leads,
// the secret of the internal command link, agent presence (so Ready agents stay Ready across a
// failover) and agent sessions (any node serves any page). Idempotent, applied at every start under a
// transaction-level advisory lock so nodes starting together do not race on CREATE.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS cluster_nodes (
  node_id text PRIMARY KEY,
  internal_url text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS cluster_leader (
  id int PRIMARY KEY CHECK (id = 1),
  node_id text NOT NULL,
  term bigint NOT NULL,
  since timestamptz NOT NULL DEFAULT now()
);
-- Whether the leader reaches Asterisk: every node's pages say when calling is away.
ALTER TABLE cluster_leader ADD COLUMN IF NOT EXISTS telephony_available boolean NOT NULL DEFAULT true;
CREATE TABLE IF NOT EXISTS cluster_secret (
  id int PRIMARY KEY CHECK (id = 1),
  secret text NOT NULL
);
CREATE TABLE IF NOT EXISTS agent_presence (
  agent_id text PRIMARY KEY,
  presence text NOT NULL,
  idle_since bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS agent_sessions (
  id_hash text PRIMARY KEY,
  agent_id text NOT NULL,
  csrf_token text NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_sessions_agent ON agent_sessions (agent_id);
-- rate-limiter-flexible's RateLimiterPostgres table, made here so no node races to create it.
CREATE TABLE IF NOT EXISTS rate_limits (
  key varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);
`;

// Two int4 keys: a keyspace of their own in pg_locks (objsubid 2), apart from any bigint lock the store takes.
export const LOCK_NAMESPACE = 0x4d43434c; // "MCCL"
export const SCHEMA_LOCK = 1;
export const LEADER_LOCK = 2;

export async function ensureClusterSchema(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, SCHEMA_LOCK]);
    await client.query(SCHEMA);
    await client.query('COMMIT');
  } catch (err) {
    // The first failure is the one worth reporting; a failed ROLLBACK only means the connection went too.
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

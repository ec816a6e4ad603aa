import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { CHANGES_CHANNEL } from './change-feed.ts';

// A node's heartbeat is fresh this long; the count in /healthz is of fresh nodes only.
const FRESH_S = 10;

export interface LeaderInfo {
  nodeId: string;
  internalUrl: string;
  term: number;
}

// The nodes of the cluster (`cluster_nodes`): each writes its id, internal URL and a heartbeat; the
// lock holder writes itself into `cluster_leader` with the next term, so followers know where to
// send commands. The database clock decides freshness, never the nodes' own.
export class NodeRegistry {
  readonly #pool: pg.Pool;
  readonly nodeId: string;
  #internalUrl = '';
  #timer: NodeJS.Timeout | undefined;

  constructor(pool: pg.Pool, nodeId: string) {
    this.#pool = pool;
    this.nodeId = nodeId;
  }

  // Once this node listens: its URL is known then (PORT=0 picks one).
  async join(internalUrl: string, heartbeatMs: number, onError: (err: Error) => void): Promise<void> {
    this.#internalUrl = internalUrl;
    await this.#beat();
    this.#timer = setInterval(() => this.#beat().catch(onError), heartbeatMs);
    this.#timer.unref();
  }

  async leave(): Promise<void> {
    clearInterval(this.#timer);
    await this.#pool.query('DELETE FROM cluster_nodes WHERE node_id = $1', [this.nodeId]);
  }

  async freshNodes(): Promise<number> {
    const { rows } = await this.#pool.query<{ n: string }>(`SELECT count(*) AS n FROM cluster_nodes WHERE heartbeat_at > now() - make_interval(secs => $1)`, [FRESH_S]);
    return Number(rows[0]?.n ?? 0);
  }

  // Only the holder of the leader lock calls this.
  async claimLeadership(): Promise<number> {
    const { rows } = await this.#pool.query<{ term: string }>(
      `INSERT INTO cluster_leader (id, node_id, term, since) VALUES (1, $1, 1, now())
       ON CONFLICT (id) DO UPDATE SET node_id = excluded.node_id, term = cluster_leader.term + 1, since = now()
       RETURNING term`,
      [this.nodeId],
    );
    return Number(rows[0]!.term);
  }

  async leader(): Promise<LeaderInfo | undefined> {
    const { rows } = await this.#pool.query<{ node_id: string; internal_url: string; term: string }>(
      'SELECT l.node_id, n.internal_url, l.term FROM cluster_leader l JOIN cluster_nodes n USING (node_id) WHERE l.id = 1',
    );
    const row = rows[0];
    return row && { nodeId: row.node_id, internalUrl: row.internal_url, term: Number(row.term) };
  }

  // The leader reaches Asterisk, or not: stored and told to every node in one statement.
  async telephonyChanged(available: boolean): Promise<void> {
    await this.#pool.query(
      `WITH saved AS (UPDATE cluster_leader SET telephony_available = $2 WHERE node_id = $1 RETURNING 1)
       SELECT pg_notify($3, json_build_array(json_build_object('kind', 'telephony', 'available', $2::boolean))::text) FROM saved`,
      [this.nodeId, available, CHANGES_CHANNEL],
    );
  }

  async telephonyAvailable(): Promise<boolean> {
    const { rows } = await this.#pool.query<{ telephony_available: boolean }>('SELECT telephony_available FROM cluster_leader WHERE id = 1');
    return rows[0]?.telephony_available ?? true;
  }

  // The internal link's secret, made by the first node ever started and read by every other. It lives
  // in the database only: whoever may read it may read every chat anyway.
  async secret(): Promise<string> {
    await this.#pool.query('INSERT INTO cluster_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [randomBytes(32).toString('base64url')]);
    const { rows } = await this.#pool.query<{ secret: string }>('SELECT secret FROM cluster_secret WHERE id = 1');
    return rows[0]!.secret;
  }

  async #beat(): Promise<void> {
    await this.#pool.query(
      `INSERT INTO cluster_nodes (node_id, internal_url) VALUES ($1, $2)
       ON CONFLICT (node_id) DO UPDATE SET internal_url = excluded.internal_url, heartbeat_at = now()`,
      [this.nodeId, this.#internalUrl],
    );
    // Nodes gone for an hour (killed, never back) leave the registry; the leader's row is kept.
    await this.#pool.query(`DELETE FROM cluster_nodes WHERE heartbeat_at < now() - interval '1 hour' AND node_id NOT IN (SELECT node_id FROM cluster_leader)`);
  }
}

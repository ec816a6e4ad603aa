import { createHash } from 'node:crypto';
import type pg from 'pg';
import { CHANGES_CHANNEL } from './change-feed.ts';

// The shape of the web layer's AgentSession (the store knows no web module).
export interface StoredSession {
  id: string;
  agentId: string;
  csrfToken: string;
  expiresAt: number;
}

// Agent sessions in `agent_sessions`, shared by every node. The row is keyed by a hash of the session
// id: whoever reads the table (or listens to its notifications) cannot use what it reads as a cookie.
// Ending sessions NOTIFYs in the same statement, so every node closes the sockets those sessions hold.
export class PgSessionStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  // Expired rows go at each login, so the table holds about the sessions of one TTL (the floor reads it
  // at every render: agentsLoggedIn).
  async save(s: StoredSession): Promise<void> {
    await this.#pool.query('INSERT INTO agent_sessions (id_hash, agent_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)', [hashOf(s.id), s.agentId, s.csrfToken, s.expiresAt]);
    await this.#pool.query('DELETE FROM agent_sessions WHERE expires_at < $1', [Date.now()]);
  }

  async find(id: string): Promise<StoredSession | undefined> {
    const { rows } = await this.#pool.query<{ agent_id: string; csrf_token: string; expires_at: string }>(
      'SELECT agent_id, csrf_token, expires_at FROM agent_sessions WHERE id_hash = $1 AND expires_at > $2',
      [hashOf(id), Date.now()],
    );
    const row = rows[0];
    return row && { id, agentId: row.agent_id, csrfToken: row.csrf_token, expiresAt: Number(row.expires_at) };
  }

  // A logout: every node drops what it cached of this session, and closes its sockets (by its hash).
  async delete(id: string): Promise<void> {
    await this.#pool.query(
      `WITH ended AS (DELETE FROM agent_sessions WHERE id_hash = $1 RETURNING agent_id)
       SELECT pg_notify($2, json_build_array(json_build_object('kind', 'session_ended', 'agentId', agent_id, 'idHash', $1::text))::text) FROM ended`,
      [hashOf(id), CHANGES_CHANNEL],
    );
  }

  // By the agent_sessions_agent index's table, small: one row per logged-in page.
  async agentsLoggedIn(now: number): Promise<string[]> {
    const { rows } = await this.#pool.query<{ agent_id: string }>('SELECT DISTINCT agent_id FROM agent_sessions WHERE expires_at > $1', [now]);
    return rows.map((r) => r.agent_id);
  }

  idHash(id: string): string {
    return hashOf(id);
  }

  async endAgent(agentId: string, keep?: string): Promise<number> {
    const { rows } = await this.#pool.query<{ n: number }>(
      `WITH ended AS (DELETE FROM agent_sessions WHERE agent_id = $1 AND id_hash IS DISTINCT FROM $2 RETURNING 1),
            told AS (SELECT pg_notify($3, json_build_array(json_build_object('kind', 'sessions_ended', 'agentId', $1::text, 'keepHash', $2::text))::text))
       SELECT (SELECT count(*) FROM ended)::int AS n FROM told`,
      [agentId, keep ? hashOf(keep) : null, CHANGES_CHANNEL],
    );
    // Expired rows go in passing.
    await this.#pool.query('DELETE FROM agent_sessions WHERE expires_at < $1', [Date.now()]);
    return rows[0]?.n ?? 0;
  }
}

function hashOf(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

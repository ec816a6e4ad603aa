import type pg from 'pg';
import type { Presence } from '../../../domain/agent-presence.ts';
import type { AgentPresenceStore, StoredPresence } from '../../../domain/ports.ts';
import { CHANGES_CHANNEL } from './change-feed.ts';

// Agents' presence in `agent_presence`: the leader writes each change (one statement: the row and
// its NOTIFY, delivered at commit), a new leader reads them all back, followers read one on a wake-up.
export class PgPresenceStore implements AgentPresenceStore {
  readonly #pool: pg.Pool;
  // One write at a time per agent, so Ready then Not Ready never lands the other way round.
  readonly #last = new Map<string, Promise<void>>();

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async loadPresence(): Promise<StoredPresence[]> {
    const { rows } = await this.#pool.query<{ agent_id: string; presence: Presence; idle_since: string }>('SELECT agent_id, presence, idle_since FROM agent_presence');
    return rows.map((r) => ({ agentId: r.agent_id, presence: r.presence, idleSince: Number(r.idle_since) }));
  }

  async readPresence(agentId: string): Promise<StoredPresence | undefined> {
    const { rows } = await this.#pool.query<{ presence: Presence; idle_since: string }>('SELECT presence, idle_since FROM agent_presence WHERE agent_id = $1', [agentId]);
    return rows[0] && { agentId, presence: rows[0].presence, idleSince: Number(rows[0].idle_since) };
  }

  savePresence(p: StoredPresence): Promise<void> {
    const write = (this.#last.get(p.agentId) ?? Promise.resolve()).then(() => this.#write(p));
    // The chain goes on after a failure (reported to the caller of that write).
    const tail = write.catch(() => undefined);
    this.#last.set(p.agentId, tail);
    void tail.then(() => {
      if (this.#last.get(p.agentId) === tail) this.#last.delete(p.agentId);
    });
    return write;
  }

  async #write(p: StoredPresence): Promise<void> {
    await this.#pool.query(
      `WITH saved AS (
         INSERT INTO agent_presence (agent_id, presence, idle_since) VALUES ($1, $2, $3)
         ON CONFLICT (agent_id) DO UPDATE SET presence = excluded.presence, idle_since = excluded.idle_since
         RETURNING agent_id)
       SELECT pg_notify($4, json_build_array(json_build_object('kind', 'presence', 'agentId', agent_id))::text) FROM saved`,
      [p.agentId, p.presence, p.idleSince, CHANGES_CHANNEL],
    );
  }
}

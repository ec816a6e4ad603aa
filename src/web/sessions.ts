import { randomBytes } from 'node:crypto';

export interface AgentSession {
  id: string;
  agentId: string;
  csrfToken: string;
  expiresAt: number;
}

// Agent sessions live in memory: a server restart asks agents to log in again, and nothing a
// customer sent depends on them.
export class SessionRegistry {
  readonly #sessions = new Map<string, AgentSession>();
  readonly #ttlMs: number;

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  create(agentId: string): AgentSession {
    const session = {
      id: randomBytes(32).toString('base64url'),
      agentId,
      csrfToken: randomBytes(24).toString('base64url'),
      expiresAt: Date.now() + this.#ttlMs,
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  get(id: string | undefined): AgentSession | undefined {
    if (!id) return undefined;
    const session = this.#sessions.get(id);
    if (session && session.expiresAt < Date.now()) {
      this.#sessions.delete(id);
      return undefined;
    }
    return session;
  }

  destroy(id: string): void {
    this.#sessions.delete(id);
  }
}

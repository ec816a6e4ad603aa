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
  readonly #onEnd = new Set<(session: AgentSession) => void>();

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

  // Ends every session of the agent but `keep` (its own page, after a password change) at once: the
  // listeners close what the sessions hold open (the desktop's socket), so their pages go to the login.
  endAgent(agentId: string, keep?: string): number {
    let ended = 0;
    for (const session of [...this.#sessions.values()]) {
      if (session.agentId !== agentId || session.id === keep) continue;
      this.#sessions.delete(session.id);
      ended++;
      for (const listener of this.#onEnd) listener(session);
    }
    return ended;
  }

  onEnded(listener: (session: AgentSession) => void): () => void {
    this.#onEnd.add(listener);
    return () => this.#onEnd.delete(listener);
  }
}

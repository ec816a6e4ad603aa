import { randomBytes } from 'node:crypto';

export interface AgentSession {
  id: string;
  agentId: string;
  csrfToken: string;
  expiresAt: number;
}

// A cluster's sessions, shared by every node (PostgreSQL): a page logged in on one node is served by
// any other. Ending an agent's sessions there tells every node (endedElsewhere below).
export interface SharedSessions {
  save(session: AgentSession): Promise<void>;
  find(id: string): Promise<AgentSession | undefined>;
  delete(id: string): Promise<void>;
  // Ends the agent's sessions but `keep`, everywhere; the number ended.
  endAgent(agentId: string, keep?: string): Promise<number>;
  // The agents with a session not expired at `now`, on any node.
  agentsLoggedIn(now: number): Promise<string[]>;
  // How the store and its notifications name a session (never by the id itself, which is the cookie).
  idHash(id: string): string;
}

// Agent sessions live in memory: a server restart asks agents to log in again, and nothing a
// customer sent depends on them. With `shared` (a cluster) memory is a cache of the shared store.
export class SessionRegistry {
  readonly #sessions = new Map<string, AgentSession>();
  readonly #ttlMs: number;
  readonly #shared: SharedSessions | undefined;
  readonly #onEnd = new Set<(session: AgentSession) => void>();
  // As the shared store names a session (one server has none: the id itself, never sent anywhere).
  readonly #idHash: (id: string) => string;

  constructor(ttlMs: number, shared?: SharedSessions) {
    this.#ttlMs = ttlMs;
    this.#shared = shared;
    this.#idHash = shared ? (id) => shared.idHash(id) : (id) => id;
  }

  // Resolves once the session is stored where every node finds it.
  async create(agentId: string): Promise<AgentSession> {
    const session = {
      id: randomBytes(32).toString('base64url'),
      agentId,
      csrfToken: randomBytes(24).toString('base64url'),
      expiresAt: Date.now() + this.#ttlMs,
    };
    await this.#shared?.save(session);
    // Expired ones go at each login: on one server they are never looked up again, and would stay.
    for (const old of [...this.#sessions.values()]) if (old.expiresAt < Date.now()) this.#expire(old);
    this.#sessions.set(session.id, session);
    return session;
  }

  get(id: string | undefined): AgentSession | undefined {
    if (!id) return undefined;
    const session = this.#sessions.get(id);
    if (session && session.expiresAt < Date.now()) {
      this.#expire(session);
      return undefined;
    }
    return session;
  }

  // An expired session ends like any other: what it holds open (its pages' sockets) closes too, or an
  // agent disabled later would keep them, no longer found among the agent's sessions.
  #expire(session: AgentSession): void {
    this.#sessions.delete(session.id);
    this.#tellEnded(session);
  }

  // The session, from memory or else from the shared store (made on another node).
  async find(id: string | undefined): Promise<AgentSession | undefined> {
    const local = this.get(id);
    if (local || !id || !this.#shared) return local;
    const stored = await this.#shared.find(id);
    if (!stored || stored.expiresAt < Date.now()) return undefined;
    this.#sessions.set(id, stored);
    return stored;
  }

  // A logout: what the session holds open closes too (the desktop's socket in another tab of the same
  // browser, which would go on showing the agent's chats after the logout).
  async destroy(id: string): Promise<void> {
    const session = this.#sessions.get(id);
    this.#sessions.delete(id);
    await this.#shared?.delete(id);
    if (session) this.#tellEnded(session);
  }

  // Ends every session of the agent but `keep` (its own page, after a password change) at once: the
  // listeners close what the sessions hold open (the desktop's socket), so their pages go to the login.
  async endAgent(agentId: string, keep?: string): Promise<number> {
    const ended = this.endedElsewhere(agentId, { keep: keep && this.#idHash(keep) });
    return this.#shared ? this.#shared.endAgent(agentId, keep) : ended;
  }

  // Another node ended them (a cluster's wake-up): what this node holds of them closes too. All of the
  // agent's but `keep`, or `only` that one (a logout there); both are hashes of session ids.
  endedElsewhere(agentId: string, which: { keep?: string; only?: string } = {}): number {
    let ended = 0;
    for (const session of [...this.#sessions.values()]) {
      if (session.agentId !== agentId) continue;
      const hash = this.#idHash(session.id);
      if (hash === which.keep || (which.only !== undefined && hash !== which.only)) continue;
      this.#sessions.delete(session.id);
      ended++;
      this.#tellEnded(session);
    }
    return ended;
  }

  // Who is logged in (a session not expired): the floor tells them from agents who are away. With a
  // cluster, memory holds only what this node has seen: the shared store answers.
  async loggedInAgents(): Promise<Set<string>> {
    const now = Date.now();
    if (this.#shared) return new Set(await this.#shared.agentsLoggedIn(now));
    return new Set([...this.#sessions.values()].filter((s) => s.expiresAt >= now).map((s) => s.agentId));
  }

  // After missed wake-ups: each session this node holds (a socket may be open on it) is read again from
  // the shared store, and one ended meanwhile ends here too. Kept in memory, not forgotten: an end
  // told after this must still find it, or its sockets would stay open. One unreadable now is kept.
  async recheck(): Promise<void> {
    const shared = this.#shared;
    if (!shared) return;
    for (const session of [...this.#sessions.values()]) {
      const stored = await shared.find(session.id).catch(() => session);
      if (stored && stored.expiresAt >= Date.now()) continue;
      if (!this.#sessions.delete(session.id)) continue; // ended meanwhile, its listeners told
      this.#tellEnded(session);
    }
  }

  // What holds the session open (its sockets) hears that it ended.
  #tellEnded(session: AgentSession): void {
    for (const listener of this.#onEnd) listener(session);
  }

  onEnded(listener: (session: AgentSession) => void): () => void {
    this.#onEnd.add(listener);
    return () => this.#onEnd.delete(listener);
  }
}


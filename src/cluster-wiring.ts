import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import pg from 'pg';
import type { Logger } from 'pino';
import type { AgentState } from './domain/agent-presence.ts';
import type { ContactCenter } from './domain/contact-center.ts';
import type { DomainEvents } from './domain/events.ts';
import type { Interactions } from './domain/interactions.ts';
import type { MultimediaDesk } from './domain/multimedia.ts';
import type { InteractionStore } from './domain/ports.ts';
import { InteractionReplica } from './domain/replica.ts';
import { ChangeListener, type Change } from './store/postgres/cluster/change-feed.ts';
import { LeaderLock } from './store/postgres/cluster/leader-lock.ts';
import { NodeRegistry } from './store/postgres/cluster/node-registry.ts';
import { PgPresenceStore } from './store/postgres/cluster/presence-store.ts';
import { postgresLimiterStore } from './store/postgres/cluster/rate-limit-store.ts';
import { ensureClusterSchema } from './store/postgres/cluster/schema.ts';
import { PgSessionStore } from './store/postgres/cluster/session-store.ts';
import { CLIENT_KEEPALIVE, SESSION_OPTIONS } from './store/postgres/session-options.ts';
import { FORWARDED } from './web/cluster/commands.ts';
import { forwarded, runsRules, type Role } from './web/cluster/forwarding.ts';
import { LinkClient } from './web/cluster/link-client.ts';
import { LinkServer } from './web/cluster/link-server.ts';
import type { SessionRegistry } from './web/sessions.ts';

// Part of Main: turns one process into a node of a cluster (docs/cluster.md). Several processes with
// the same DATABASE_URL elect a leader by an advisory lock; the leader runs the rules (commands,
// routing, offer timers, ARI); every node serves pages and sockets from a registry kept up to date by
// LISTEN/NOTIFY, and forwards the web layer's commands to the leader.

export interface ClusterSettings {
  databaseUrl: string;
  nodeId: string;
  // How the other nodes reach this one, once it listens on `port`.
  internalUrl(port: number): string;
}

// NODE_ID and CLUSTER_INTERNAL_URL (how the other nodes reach this one) default to this host and port.
export function clusterSettings(env: NodeJS.ProcessEnv, config: { databaseUrl?: string; host: string; port: number; tls: boolean }): ClusterSettings | null {
  if (!config.databaseUrl) return null;
  const wildcard = config.host === '0.0.0.0' || config.host === '::';
  const host = wildcard ? hostname() : config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    databaseUrl: config.databaseUrl,
    nodeId: nodeIdOf(env, config.port),
    internalUrl: (port) => env.CLUSTER_INTERNAL_URL || `${config.tls ? 'https' : 'http'}://${host}:${port}`,
  };
}

// PORT=0 (tests): a random id, as the port is not known yet.
export const nodeIdOf = (env: NodeJS.ProcessEnv, port: number): string => env.NODE_ID || `${hostname()}:${port || randomBytes(4).toString('hex')}`;

// Without DATABASE_URL: the one node there is, which leads (the /healthz contract's shape).
export const singleNodeHealth = (nodeId: string) => ({ state: 'up', node: nodeId, role: 'leader' as const, nodes: 1 });

// Built before the domain: the stores the domain and the web take in a cluster.
export async function openCluster(settings: ClusterSettings, logger: Logger) {
  const pool = new pg.Pool({
    connectionString: settings.databaseUrl,
    max: 8,
    application_name: `mcc-cluster:${settings.nodeId}`.slice(0, 63),
    ...CLIENT_KEEPALIVE,
    options: SESSION_OPTIONS,
  });
  pool.on('error', (err) => logger.warn({ err }, 'an idle cluster connection failed'));
  await ensureClusterSchema(pool);
  const registry = new NodeRegistry(pool, settings.nodeId);
  return {
    settings,
    pool,
    registry,
    secret: await registry.secret(),
    presence: new PgPresenceStore(pool),
    sessions: new PgSessionStore(pool),
    limiterStore: postgresLimiterStore(pool),
  };
}

export type OpenCluster = Awaited<ReturnType<typeof openCluster>>;

export interface NodeParts {
  interactions: Interactions;
  store: InteractionStore;
  events: DomainEvents;
  center: ContactCenter;
  multimedia: MultimediaDesk;
  sessions: SessionRegistry;
  // The leader's objects commands run on, by the names of web/cluster/commands.ts.
  targets: Record<keyof typeof FORWARDED, object | null>;
  // What runs once, on the leader: recover, timers, ARI. A failure ends the leadership (exit).
  lead(): Promise<void>;
  logger: Logger;
}

export class ClusterNode {
  readonly #c: OpenCluster;
  readonly #p: NodeParts;
  readonly #replica: InteractionReplica;
  readonly #listener: ChangeListener;
  readonly #link: LinkClient;
  readonly #server: LinkServer;
  readonly #lock: LeaderLock;
  #role: Role = 'follower';
  #promoted: () => void = () => undefined;
  readonly #promotion: Promise<void>;

  constructor(open: OpenCluster, parts: NodeParts) {
    this.#c = open;
    this.#p = parts;
    const { logger } = parts;
    this.#promotion = new Promise((resolve) => (this.#promoted = resolve));
    this.#replica = new InteractionReplica({
      ...parts,
      following: () => !runsRules(this.#role),
      onError: (err, interactionId) => logger.error({ err, interactionId }, 'reading a committed change failed'),
    });
    this.#listener = new ChangeListener({
      connectionString: open.settings.databaseUrl,
      nodeId: open.settings.nodeId,
      onChanges: (changes) => this.#heard(changes),
      onListening: () => this.#catchUp(),
      onError: (err) => logger.warn({ err }, 'the cluster LISTEN connection failed; reconnecting'),
    });
    this.#link = new LinkClient({ leaderUrl: async () => (await open.registry.leader())?.internalUrl, secret: open.secret, logger });
    this.#server = new LinkServer({ targets: parts.targets, secret: open.secret, isLeader: () => this.#role === 'leader', logger });
    this.#lock = new LeaderLock({
      connectionString: open.settings.databaseUrl,
      nodeId: open.settings.nodeId,
      onLeader: () => this.#lead(),
      onLost: (err) => {
        // The simplest honest choice: stop at once; a supervisor restarts this process as a follower.
        logger.fatal({ err }, 'this node lost the leader lock: exiting so it restarts as a follower');
        process.exit(70);
      },
      onRetry: (err) => logger.warn({ err }, 'trying the leader lock failed; trying again'),
    });
    // The leader says whether it reaches Asterisk; the other nodes' pages show it too.
    parts.events.subscribe((event) => {
      if (event.type !== 'telephony_changed' || !runsRules(this.#role)) return;
      open.registry.telephonyChanged(event.available).catch((err: unknown) => logger.warn({ err }, 'telling the cluster about telephony failed'));
    });
  }

  get role(): Role {
    return this.#role;
  }

  get runsRules(): boolean {
    return runsRules(this.#role);
  }

  // Joins: the change feed, the link to the leader, then contends for the lock, and resolves once the
  // first try says leader (what runs once is running) or follower. Its registry row and heartbeats
  // follow once the node listens (`listening`).
  async start(): Promise<void> {
    await this.#p.interactions.load();
    await this.#listener.start();
    this.#link.start();
    this.#lock.start();
    await this.#lock.decided;
  }

  async listening(port: number): Promise<void> {
    await this.#c.registry.join(this.#c.settings.internalUrl(port), 2000, (err) => this.#p.logger.warn({ err }, 'the cluster heartbeat failed'));
  }

  // The followers' links to this node close with its pages' sockets: the HTTP server waits for them.
  closeLinks(): void {
    this.#server.close();
  }

  async stop(): Promise<void> {
    this.#link.stop();
    this.#server.close();
    await this.#lock.stop();
    await this.#listener.stop();
    await this.#c.registry.leave();
    await this.#c.pool.end();
  }

  forward<T extends object>(target: keyof typeof FORWARDED, local: T): T {
    return forwarded(target, local, { role: () => this.#role, promoted: this.#promotion, link: this.#link, settle: (t, m, a, r) => this.#settle(t, m, a, r), logger: this.#p.logger });
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#server.upgrade(req, socket, head);
  }

  // /healthz's `cluster`; with the registry unreadable it says so (the database part is down too).
  async health(): Promise<{ state: string; detail?: string; node: string; role: 'leader' | 'follower'; nodes: number }> {
    const base = { node: this.#c.settings.nodeId, role: this.#role === 'leader' ? ('leader' as const) : ('follower' as const) };
    try {
      return { state: 'up', ...base, nodes: await this.#c.registry.freshNodes() };
    } catch (err) {
      return { state: 'down', detail: (err as Error).message, ...base, nodes: 0 };
    }
  }

  async #lead(): Promise<void> {
    const { logger } = this.#p;
    const startedAt = Date.now();
    this.#role = 'catching_up';
    this.#link.stop();
    // Fresh from PostgreSQL: whatever the last leader committed is in the registry before the rules run
    // (not on what is replayed: an SMS reply the last leader sent is not sent again).
    await this.#replica.resync();
    this.#role = 'becoming';
    const term = await this.#c.registry.claimLeadership();
    await this.#p.lead();
    this.#role = 'leader';
    this.#promoted();
    logger.info({ term, node: this.#c.settings.nodeId, tookMs: Date.now() - startedAt }, 'this node leads the cluster');
  }

  #heard(changes: Change[]): void {
    for (const change of changes) {
      if (change.kind === 'sessions_ended') this.#p.sessions.endedElsewhere(change.agentId, { keep: change.keepHash });
      else if (change.kind === 'session_ended') this.#p.sessions.endedElsewhere(change.agentId, { only: change.idHash });
      // The leader's registry is the source of what it commits: it reads nothing back.
      else if (this.#role !== 'follower') continue;
      else if (change.kind === 'interaction') void this.#replica.follow(change.id);
      else if (change.kind === 'telephony') this.#p.multimedia.telephonyChanged(change.available);
      else this.#followPresence(change.agentId);
    }
  }

  #catchUp(): void {
    const { logger } = this.#p;
    this.#p.sessions.recheck().catch((err: unknown) => logger.error({ err }, 'checking the sessions again failed'));
    if (this.#role !== 'follower') return;
    this.#replica.resync().catch((err: unknown) => logger.error({ err }, 'catching up with the cluster failed'));
    this.#c.presence.loadPresence().then(
      (all) => all.forEach((p) => this.#p.center.replicatePresence(p)),
      (err: unknown) => logger.error({ err }, 'reading presence failed'),
    );
    this.#c.registry.telephonyAvailable().then(
      (available) => this.#p.multimedia.telephonyChanged(available),
      (err: unknown) => logger.error({ err }, 'reading the telephony state failed'),
    );
  }

  #followPresence(agentId: string): void {
    this.#c.presence.readPresence(agentId).then(
      (p) => p && this.#p.center.replicatePresence(p),
      (err: unknown) => this.#p.logger.error({ err, agentId }, 'reading presence failed'),
    );
  }

  // Read your writes: before a forwarded command answers, this node shows what it committed.
  async #settle(target: string, method: string, args: unknown[], result: unknown): Promise<void> {
    const interactionId = FORWARDED[target]?.[method]?.touches?.(args, result);
    if (interactionId) await this.#replica.follow(interactionId);
    if (method === 'setPresence') {
      const agent = result as AgentState;
      this.#p.center.replicatePresence({ agentId: agent.agentId, presence: agent.presence, idleSince: agent.idleSince });
    }
    if (method === 'agentChanged') {
      const p = await this.#c.presence.readPresence((args[0] as { id: string }).id);
      if (p) this.#p.center.replicatePresence(p);
    }
  }
}

type Targets = NodeParts['targets'];

// The web layer's view of the leader's objects: commands forwarded, reads local (see ClusterNode.forward).
export function forwardedTargets<T extends Targets>(node: ClusterNode, targets: T): T {
  const out: Record<string, object | null> = {};
  for (const [name, target] of Object.entries(targets)) out[name] = target && node.forward(name as keyof typeof FORWARDED, target);
  return out as T;
}

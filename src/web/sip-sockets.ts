import { Counter, Gauge, type Registry } from 'prom-client';
import { count } from './open-counts.ts';

// Every /sip socket the web server accepts holds one of Asterisk's HTTP sessions (http.conf
// sessionlimit), and ARI needs those too: without caps, one anonymous chat could open enough phone
// sockets to lock the controller out of Asterisk. The caps are per node: with several nodes in front of
// one Asterisk, their totals together must stay below its session limit.
export interface SipSocketCaps {
  perChat: number;
  // A customer's address (a /64 for IPv6) over all its chats: chats are cheap to start, so without it
  // one address could take the customers' whole share.
  perAddress: number;
  perAgentSession: number;
  // Customers' sockets together: kept below the total so agents (and ARI) always have room.
  customers: number;
  total: number;
}

export interface SipSocketOwner {
  kind: 'customer' | 'agent';
  // The chat's id, or the agent session's id (not the agent's: each session is a tab with its softphone).
  id: string;
  // A customer's address (client-address.ts).
  address?: string;
}

export type SipSocketRefusalReason = 'per_chat' | 'per_address' | 'per_agent_session' | 'customers_full' | 'total_full' | 'chat_ended' | 'not_authorised' | 'calling_unavailable';

export interface SipSocketRefusal {
  status: number;
  reason: SipSocketRefusalReason;
  message: string;
  // A hint for clients that retry (sip.js reconnects): a place frees when another socket closes.
  retryAfterS?: number;
}

export class SipSockets {
  readonly #caps: SipSocketCaps;
  readonly #byOwner = new Map<string, number>();
  readonly #byAddress = new Map<string, number>();
  readonly #byKind = { customer: 0, agent: 0 };
  readonly #refused: Counter<'reason'>;

  constructor(caps: SipSocketCaps, registry: Registry) {
    this.#caps = caps;
    const byKind = this.#byKind;
    new Gauge({
      name: 'cc_sip_sockets',
      help: 'Open /sip sockets (each holds an Asterisk HTTP session), by kind (agent softphone, customer phone).',
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        for (const [kind, n] of Object.entries(byKind)) this.set({ kind }, n);
      },
    });
    this.#refused = new Counter({
      name: 'cc_sip_sockets_refused_total',
      help: '/sip sockets refused, by reason (a cap, an ended chat, no authorisation, calling unavailable).',
      labelNames: ['reason'],
      registers: [registry],
    });
  }

  // A place for one socket, or why there is none (not counted: the caller counts what it refuses).
  // release() is idempotent: call it when the socket goes.
  claim(owner: SipSocketOwner): { release(): void } | SipSocketRefusal {
    const key = `${owner.kind}:${owner.id}`;
    const address = owner.kind === 'customer' ? owner.address : undefined;
    const refusal = this.check(owner.kind, this.#byOwner.get(key) ?? 0, address === undefined ? 0 : (this.#byAddress.get(address) ?? 0));
    if (refusal) return refusal;
    count(this.#byOwner, key, 1);
    if (address !== undefined) count(this.#byAddress, address, 1);
    this.#byKind[owner.kind] += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#byKind[owner.kind] -= 1;
        count(this.#byOwner, key, -1);
        if (address !== undefined) count(this.#byAddress, address, -1);
      },
    };
  }

  // Every refusal of a /sip socket, whoever decided it (a cap here, authorisation, an ended chat).
  countRefusal(reason: SipSocketRefusalReason): void {
    this.#refused.inc({ reason });
  }

  private check(kind: SipSocketOwner['kind'], mine: number, fromAddress: number): SipSocketRefusal | null {
    const caps = this.#caps;
    if (kind === 'customer' && mine >= caps.perChat) {
      return { status: 429, reason: 'per_chat', message: `this chat already has ${caps.perChat} phone sockets open`, retryAfterS: 10 };
    }
    if (kind === 'customer' && fromAddress >= caps.perAddress) {
      return { status: 429, reason: 'per_address', message: `your network already has ${caps.perAddress} phone sockets open`, retryAfterS: 10 };
    }
    if (kind === 'agent' && mine >= caps.perAgentSession) {
      return { status: 429, reason: 'per_agent_session', message: `this session already has ${caps.perAgentSession} softphone sockets open`, retryAfterS: 10 };
    }
    if (kind === 'customer' && this.#byKind.customer >= caps.customers) {
      return { status: 503, reason: 'customers_full', message: 'no phone socket free for customers now', retryAfterS: 30 };
    }
    if (this.#byKind.customer + this.#byKind.agent >= caps.total) {
      return { status: 503, reason: 'total_full', message: 'no phone socket free now', retryAfterS: 30 };
    }
    return null;
  }
}

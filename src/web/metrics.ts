import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ContactCenter } from '../domain/contact-center.ts';
import type { DomainEvents } from '../domain/events.ts';
import type { InteractionStore } from '../domain/ports.ts';

// Prometheus metrics for operators: interactions by state, messages, connected sockets.
export class Metrics {
  readonly registry = new Registry();
  readonly sockets: Gauge<'kind'>;

  constructor(center: ContactCenter, store: InteractionStore, events: DomainEvents) {
    collectDefaultMetrics({ register: this.registry, prefix: 'cc_' });
    new Gauge({
      name: 'cc_interactions',
      help: 'Interactions by state (ended counts all history).',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const counts = await store.countByState();
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    // Counted in plain numbers per (author, kind) and handed to the counter when scraped: a
    // labelled inc() builds a key string per call, and this runs for every message (bench:chat).
    const tally = new Map<string, Map<string, number>>();
    new Counter({
      name: 'cc_messages_total',
      help: 'Chat messages and photos stored, by author.',
      labelNames: ['author', 'kind'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [author, byKind] of tally) for (const [kind, n] of byKind) this.inc({ author, kind }, n);
      },
    });
    this.sockets = new Gauge({
      name: 'cc_websocket_clients',
      help: 'Connected WebSocket clients, by kind (agent desktop, supervisor page, customer).',
      labelNames: ['kind'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'cc_agents',
      help: 'Agents by presence.',
      labelNames: ['presence'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const agent of center.agents()) this.inc({ presence: agent.presence });
      },
    });
    events.subscribe((event) => {
      if (event.type !== 'entry_appended') return;
      const { author, kind } = event.entry;
      if (kind !== 'message' && kind !== 'attachment') return;
      let byKind = tally.get(author);
      if (!byKind) tally.set(author, (byKind = new Map()));
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    });
  }
}

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
    const messages = new Counter({
      name: 'cc_messages_total',
      help: 'Chat messages and photos stored, by author.',
      labelNames: ['author', 'kind'],
      registers: [this.registry],
    });
    this.sockets = new Gauge({
      name: 'cc_websocket_clients',
      help: 'Connected WebSocket clients, by kind (agent desktop, customer).',
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
    // One child counter per (author, kind), found without building a key: this runs for every message.
    const counters = new Map<string, Map<string, { inc(): void }>>();
    events.subscribe((event) => {
      if (event.type !== 'entry_appended') return;
      const { author, kind } = event.entry;
      if (kind !== 'message' && kind !== 'attachment') return;
      let byKind = counters.get(author);
      if (!byKind) counters.set(author, (byKind = new Map()));
      let counter = byKind.get(kind);
      if (!counter) byKind.set(kind, (counter = messages.labels({ author, kind })));
      counter.inc();
    });
  }
}

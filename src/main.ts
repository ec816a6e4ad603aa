import { mkdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from './config.ts';
import { seedDemoData } from './demo-data.ts';
import { ContactCenter } from './domain/contact-center.ts';
import { DomainEvents } from './domain/events.ts';
import { MultimediaDesk } from './domain/multimedia.ts';
import { FileAttachmentStore } from './store/files/attachment-store.ts';
import { openDatabase } from './store/sqlite/database.ts';
import { SqliteDirectory } from './store/sqlite/directory-store.ts';
import { SqliteInteractionStore } from './store/sqlite/interaction-store.ts';
import { WriteBatcher } from './store/sqlite/write-batcher.ts';
import { createWebApp } from './web/app.ts';
import { EventHub } from './web/event-hub.ts';
import { Metrics } from './web/metrics.ts';
import { attachRealtime } from './web/realtime.ts';
import { SessionRegistry } from './web/sessions.ts';

// Wires the adapters to the domain, starts them in order, and stops them in reverse on SIGTERM/SIGINT.
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = pino({ level: config.logLevel });
  mkdirSync(config.dataDir, { recursive: true });

  const db = openDatabase(join(config.dataDir, 'contact-center.sqlite'));
  const batcher = new WriteBatcher(db);
  const store = new SqliteInteractionStore(db, batcher);
  const directory = new SqliteDirectory(db);
  const attachments = new FileAttachmentStore(join(config.dataDir, 'attachments'));
  await attachments.init();
  await seedDemoData(directory, config.demoAgentPassword, logger);

  const events = new DomainEvents((err, event) => logger.error({ err, event: event.type }, 'event listener failed'));
  events.subscribe((event) => {
    if (event.type === 'store_failed') logger.error({ err: event.error }, 'write to the store failed');
    if (event.type === 'entry_appended') logger.debug({ interactionId: event.entry.interactionId, kind: event.entry.kind, seq: event.entry.seq }, 'timeline');
    if (event.type === 'interaction_changed') logger.info({ interactionId: event.interaction.id, state: event.interaction.state, agentId: event.interaction.agentId ?? event.interaction.offeredTo }, 'interaction');
  });
  const center = new ContactCenter({
    store,
    directory,
    attachments,
    events,
    clock: { now: () => Date.now() },
    timers: {
      schedule(ms, fn) {
        const t = setTimeout(fn, ms);
        return { cancel: () => clearTimeout(t) };
      },
    },
    config: { offerTimeoutMs: config.offerTimeoutMs, maxChatsPerAgent: config.maxChatsPerAgent },
  });
  await center.recover();
  const multimedia = new MultimediaDesk({ center, telephony: null, video: null, clock: { now: () => Date.now() } });

  const sessions = new SessionRegistry(config.sessionTtlMs);
  const metrics = new Metrics(center, store, events);
  const hub = new EventHub(events);
  const { app, presenter } = createWebApp({
    center,
    multimedia,
    sessions,
    metrics,
    logger,
    mapTileUrl: config.mapTileUrl,
    trustProxy: config.trustProxy,
    health: async () => ({
      database: databaseHealth(() => db.prepare('SELECT 1').get()),
      ari: { state: 'not_configured', detail: 'voice is not built yet' },
      sfu: { state: 'not_configured', detail: 'video is not built yet' },
    }),
  });

  const server: Server =
    config.tlsCert && config.tlsKey
      ? createHttpsServer({ cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) }, app)
      : createHttpServer(app);
  const realtime = attachRealtime(server, { center, hub, sessions, presenter, metrics, logger });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ port, host: config.host, tls: Boolean(config.tlsCert && config.tlsKey), dataDir: config.dataDir }, 'listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    center.shutdown();
    realtime.close();
    server.close(() => {
      batcher.flush();
      db.close();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeAllConnections();
    setTimeout(() => process.exit(1), 5000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function databaseHealth(probe: () => unknown): { state: string; detail?: string } {
  try {
    probe();
    return { state: 'up' };
  } catch (err) {
    return { state: 'down', detail: (err as Error).message };
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

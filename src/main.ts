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
import { isLive } from './domain/call-leg.ts';
import { SqliteSipCredentials } from './store/sqlite/sip-credentials.ts';
import { startVoice } from './voice.ts';
import { startSms, type TrunkTexts } from './sms.ts';
import { ensureSimulatedPhone } from './ari/simulated-pstn.ts';
import { telephonyAdmin } from './ari/status.ts';
import { FileAttachmentStore } from './store/files/attachment-store.ts';
import { openDurableDatabase } from './store/sqlite/durable-database.ts';
import { SqliteDirectory } from './store/sqlite/directory-store.ts';
import { SqliteInteractionStore } from './store/sqlite/interaction-store.ts';
import { createWebApp } from './web/app.ts';
import { EventHub } from './web/event-hub.ts';
import { Metrics } from './web/metrics.ts';
import { attachRealtime } from './web/realtime.ts';
import { SessionRegistry } from './web/sessions.ts';
import { onSessionLost, sfuHealth, sfuOptionsFromEnv, startVideoSfu, videoRoomsPort, type VideoSfu } from './sfu/index.ts';
import { SipProxy } from './web/sip-proxy.ts';

// Wires the adapters to the domain, starts them in order, and stops them in reverse on SIGTERM/SIGINT.
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = pino({ level: config.logLevel });
  mkdirSync(config.dataDir, { recursive: true });

  const database = openDurableDatabase(join(config.dataDir, 'contact-center.sqlite'), (err) =>
    logger.error({ err }, 'the database writer thread failed: nothing more can be stored'),
  );
  const { db, batcher } = database;
  const store = new SqliteInteractionStore(db, batcher);
  const directory = new SqliteDirectory(db, batcher);
  const attachments = new FileAttachmentStore(join(config.dataDir, 'attachments'));
  await attachments.init();
  await seedDemoData(directory, config.demoAgentPassword, logger);

  const events = new DomainEvents((err, event) => logger.error({ err, event: event.type }, 'event listener failed'));
  events.subscribe((event) => {
    if (event.type === 'store_failed') logger.error({ err: event.error }, 'write to the store failed');
    // Checked first: this runs for every message, and the object would be built even when not logged.
    if (event.type === 'entry_appended' && logger.isLevelEnabled('debug')) logger.debug({ interactionId: event.entry.interactionId, kind: event.entry.kind, seq: event.entry.seq }, 'timeline');
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
  // Video: the SFU's mediasoup workers. Without them the rest runs, and video requests answer 503.
  let sfuError: unknown;
  const sfu: VideoSfu | null = await startVideoSfu({ ...sfuOptionsFromEnv(), logger }).catch((err: unknown) => {
    sfuError = err;
    logger.error({ err }, 'the video SFU did not start: video is unavailable');
    return null;
  });
  const credentials = new SqliteSipCredentials(db, batcher);
  // Call events need `multimedia`, assigned just below. Only the reconciliation at the first connect
  // (calls that ended while the controller was away) can report earlier: those reports wait for it.
  const desk: { multimedia?: MultimediaDesk; early: Array<() => Promise<void>> } = { early: [] };
  // Texts from the SMS trunk can come as soon as ARI is up, before the SMS desk exists: they wait for it.
  const texts: TrunkTexts = { early: [] };
  const voice = await startVoice(config, logger, {
    agents: () => directory.listAgents(),
    credentials,
    liveLegs: () => center.openInteractions().flatMap((rec) => rec.callLegs.filter(isLive)),
    onCallEvent: async (interactionId, legId, event, cause) => {
      if (desk.multimedia) return desk.multimedia.onCallEvent(interactionId, legId, event, cause);
      desk.early.push(() => desk.multimedia!.onCallEvent(interactionId, legId, event, cause));
    },
    onText: (text) => (texts.receive ? texts.receive(text) : void texts.early.push(text)),
  });
  const multimedia = (desk.multimedia = new MultimediaDesk({ center, telephony: voice.running?.callLegs ?? null, video: sfu ? videoRoomsPort(sfu) : null, clock: { now: () => Date.now() } }));
  for (const report of desk.early.splice(0)) await report();
  if (sfu) {
    onSessionLost(sfu, (sessionId) => {
      multimedia.onVideoLost(sessionId).catch((err: unknown) => logger.error({ err, sessionId }, 'ending a lost video failed'));
    });
  }

  const sms = await startSms({ config, logger, center, events, db, batcher, voice, texts });

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
    softphone: voice.running
      ? async (agentId: string) => ({ username: agentId, password: await voice.running!.endpoints.password(agentId) })
      : null,
    telephonyAdmin: voice.running ? telephonyAdmin({ ...voice.running, agents: () => directory.listAgents() }) : null,
    simulatedPhones:
      voice.running && config.telephony === 'local'
        ? (number, kind) => ensureSimulatedPhone(voice.running!.connection.current(), credentials, number, kind)
        : null,
    trustProxy: config.trustProxy,
    sms: { webhook: sms.webhook, deliveries: sms.desk },
    health: async () => ({
      database: databaseHealth(() => db.prepare('SELECT 1').get()),
      ari: voice.health(),
      sfu: sfuHealth(sfu, sfuError),
      sms: sms.health(),
    }),
  });

  const server: Server =
    config.tlsCert && config.tlsKey
      ? createHttpsServer({ cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) }, app)
      : createHttpServer(app);
  const sipProxy = new SipProxy(() => voice.running?.sipWsUrl ?? null, logger);
  const realtime = attachRealtime(server, { center, multimedia, hub, sessions, presenter, metrics, logger, sipProxy, simulatedPstn: Boolean(voice.running && config.telephony === 'local') });
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
    sms.desk.shutdown();
    realtime.close();
    sfu?.close().catch((err: unknown) => logger.error({ err }, 'stopping the video SFU failed'));
    server.close(async () => {
      await voice.stop().catch((err: unknown) => logger.error({ err }, 'stopping telephony failed'));
      await database.close().catch((err: unknown) => logger.error({ err }, 'closing the database failed'));
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

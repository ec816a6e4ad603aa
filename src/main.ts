import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Logger } from 'pino';
import { createVoice } from './ari/index.ts';
import { ClusterNode, clusterSettings, forwardedTargets, nodeIdOf, openCluster, singleNodeHealth } from './cluster-wiring.ts';
import { loadConfig, type Config } from './config.ts';
import { seedDemoData, seedSmsNumbers } from './demo-data.ts';
import { isLive } from './domain/call-leg.ts';
import { Administration } from './domain/administration.ts';
import { Closure } from './domain/closure.ts';
import { HandoffDesk } from './domain/handoff-desk.ts';
import { ContactCenter } from './domain/contact-center.ts';
import type { Agent, Service } from './domain/directory.ts';
import { DomainEvents } from './domain/events.ts';
import { Interactions } from './domain/interactions.ts';
import { MultimediaDesk } from './domain/multimedia.ts';
import { CallRecordings } from './domain/call-recordings.ts';
import type { Timers } from './domain/ports.ts';
import { SmsDesk } from './domain/sms-desk.ts';
import { SupervisionDesk } from './domain/supervision-desk.ts';
import { isSupervising } from './domain/supervision.ts';
import { createLogger } from './logging.ts';
import { createVideo, sfuOptionsFromEnv } from './sfu/index.ts';
import { createSms } from './sms/index.ts';
import { privateDataDir } from './store/files/data-dir.ts';
import { openStores } from './store/open-stores.ts';
import { redactedUrl } from './store/postgres/database.ts';
import { createWebApp } from './web/app.ts';
import { Floor } from './domain/floor.ts';
import { EventHub } from './web/event-hub.ts';
import { SupervisionSockets } from './web/supervisor/realtime.ts';
import { Metrics } from './web/metrics.ts';
import { hashPassword, verifyPassword } from './web/passwords.ts';
import { RateLimits } from './web/rate-limits.ts';
import { attachRealtime } from './web/realtime.ts';
import { SessionRegistry } from './web/sessions.ts';
import { SipProxy } from './web/sip-proxy.ts';
import { SipSockets } from './web/sip-sockets.ts';
import { CustomerSockets } from './web/mobile-api/customer-sockets.ts';
import { stopWithParent } from './parent-watch.ts';

// Builds the stores and the adapters (nothing connects yet), wires the domain to them, connects the
// adapters with the domain's sinks, then listens. Stops in reverse on SIGTERM/SIGINT.
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  privateDataDir(config.dataDir);
  const clock = { now: () => Date.now() };
  const timers: Timers = {
    schedule(ms, fn) {
      const t = setTimeout(fn, ms);
      return { cancel: () => clearTimeout(t) };
    },
  };

  // ---- stores ----
  const stores = await openStores(
    config,
    (err) => logger.error({ err }, 'the database failed outside a write'),
    (err) => logger.warn({ err }, 'a WAL checkpoint failed: the next one tries again'),
  );
  const { store, directory, attachments } = stores;
  logger.info(config.databaseUrl ? { engine: stores.engine, url: redactedUrl(config.databaseUrl) } : { engine: stores.engine, dataDir: config.dataDir }, 'database');
  // With DATABASE_URL this process is a node of a cluster: its tables, presence, shared sessions and limits.
  const settings = clusterSettings(process.env, { databaseUrl: config.databaseUrl, host: config.host, port: config.port, tls: Boolean(config.tlsCert && config.tlsKey) });
  const cluster = settings && (await openCluster(settings, logger));
  if (cluster && config.telephony === 'local') logger.warn('a cluster shares one Asterisk: with TELEPHONY=local each new leader starts its own (calls do not survive a failover); run one for the cluster (npm run asterisk) and start every node with its ASTERISK_ENV_FILE');
  if (config.demoData) await seedDemoData(directory, config.demoAgentPassword, logger);
  await seedSmsNumbers(directory, config.smsNumbers, logger);
  // The SMS numbers are the services' (set on /admin/services): the one map SMS reads, kept in place.
  const smsNumbers = config.smsNumbers;
  const refreshSmsNumbers = (services: Service[]) => {
    for (const number of Object.keys(smsNumbers)) delete smsNumbers[number];
    const numbered = services.filter((s) => s.smsNumber).sort((a, b) => a.smsNumber!.localeCompare(b.smsNumber!));
    for (const s of numbered) smsNumbers[s.smsNumber!] = s.id;
  };
  refreshSmsNumbers(await directory.listServices());
  const enabledAgents = async () => (await directory.listAgents()).filter((a) => !a.disabled);

  // ---- adapters, built: voice, SMS and video touch nothing yet (video's workers start where the rules run) ----
  const voice = createVoice(config, logger, { agents: () => directory.listAgents(), credentials: stores.sipCredentials });
  const sms = createSms(config, logger, { ari: voice.app });
  const video = createVideo({ ...sfuOptionsFromEnv(), logger });

  // ---- the domain ----
  const events = new DomainEvents((err, event) => logger.error({ err, event: event.type }, 'event listener failed'));
  logDomainEvents(events, logger);
  // The open interactions, shared by ContactCenter and MultimediaDesk. Loaded before voice connects,
  // which reconciles its calls against their live call legs (a cluster's node loads them as it joins).
  const interactions = new Interactions({ store, events, clock, maxChatEntries: config.maxChatEntries });
  if (!cluster) await interactions.load();
  const recordings: CallRecordings = new CallRecordings({
    interactions,
    directory,
    recorder: voice.recorder,
    files: stores.recordings,
    clock,
    events,
    media: () => multimedia.capabilities,
    retentionMs: config.recordingRetentionMs,
    onError: (err, what) => logger.error({ err }, `${what} failed`),
  });
  const multimedia: MultimediaDesk = new MultimediaDesk({
    interactions,
    directory,
    telephony: voice.telephony,
    video: video.rooms,
    clock,
    events,
    onCallChanged: (rec, leg) => recordings.callChanged(rec, leg),
  });
  // Listen / Whisper / Barge on calls in progress (calling's capabilities are the media's).
  const supervision = new SupervisionDesk({ interactions, telephony: voice.supervision, directory, clock, capabilities: multimedia.capabilities });
  // The chat's rules hear the media at Accept (auto-dial) and before an interaction ends.
  const center = new ContactCenter({
    interactions,
    media: multimedia,
    store,
    directory,
    attachments,
    events,
    clock,
    timers,
    config: { offerTimeoutMs: config.offerTimeoutMs, maxChatsPerAgent: config.maxChatsPerAgent, maxWaitingChats: config.maxWaitingChats, endedChatAccessMs: config.endedChatAccessMs },
    presence: cluster?.presence,
  });
  // Wrap-up and ratings; the wrap-up starts when the rules end an interaction, on the node that runs them.
  const closure = new Closure({ interactions, closures: stores.closures, directory, clock, timers, presence: center });
  let runsRules = () => true;
  events.subscribe((event) => runsRules() && closure.onEvent(event));
  // Transfers between agents (routing's offers, for one interaction already handled).
  const handoffs = new HandoffDesk({ interactions, routing: center, directory, events, clock, timers, media: multimedia, supervision, config: { offerTimeoutMs: config.offerTimeoutMs, maxChatsPerAgent: config.maxChatsPerAgent } });
  events.subscribe((event) => runsRules() && handoffs.onEvent(event));
  // Replies go to SMS gateways once: in a cluster, from the leader only.
  const smsEvents = new DomainEvents((err, event) => logger.error({ err, event: event.type }, 'event listener failed'));
  const smsDesk = new SmsDesk({
    center,
    events: smsEvents,
    store: stores.smsStore,
    clock,
    timers,
    numbers: smsNumbers,
    partWaitMs: config.smsPartWaitMs,
    senders: sms.senders,
    ratings: closure,
    onError: (err, what) => logger.error({ err }, what),
  });
  let smsReplies = () => true;
  events.subscribe((event) => smsReplies() && smsEvents.emit(event));

  // ---- connect: the adapters get the domain's sinks, then voice reaches Asterisk ----
  video.connect({
    onRoomLost: (sessionId) => multimedia.onVideoLost(sessionId).catch((err: unknown) => logger.error({ err, sessionId }, 'ending a lost video failed')),
  });
  // What must run once: at start on a single node, on winning the leader lock in a cluster.
  const lead = async () => {
    // Video runs where the rules run: a follower's goes to the leader's SFU. A single node starts it
    // before it serves; a new leader does not wait for it (its rooms answer 503 until it runs).
    const videoStarted = video.start().then((up) => up || multimedia.videoUnavailable());
    if (!cluster) await videoStarted;
    // A rolling upgrade's older nodes are gone once this one leads: their chats join History now.
    void stores.catchUpHistory().then(
      (caught) => (caught.added > 0 || caught.ended > 0) && logger.info(caught, 'history caught up with chats older nodes handled'),
      (err: unknown) => logger.error({ err }, 'catching up history failed'),
    );
    // Ready agents nobody is at are Not Ready (checked again every 30 s): before the first offers go out.
    await center.recover(logOutAbsentAgents);
    absentSweep ??= setInterval(() => void logOutAbsentAgents(), 30_000).unref();
    await multimedia.recoverVideo();
    handoffs.recover();
    // Services may have changed on the leader before (an SMS number moved): this node's copies were
    // made at its start.
    const services = await directory.listServices();
    closure.servicesChanged(services);
    await closure.recover();
    refreshSmsNumbers(services);
    await smsDesk.recover();
    await voice.connect({
      onCallEvent: (interactionId, legId, event, cause) => multimedia.onCallEvent(interactionId, legId, event, cause),
      liveLegs: () => interactions.all().flatMap((rec) => rec.callLegs.filter(isLive)),
      supervisedLegs: () => interactions.all().flatMap((rec) => rec.callLegs.filter((leg) => leg.supervisions?.some(isSupervising))),
      onAvailability: (available) => {
        multimedia.telephonyChanged(available);
        // Asterisk reached again: what it still holds of ours is collected, or deleted.
        if (available) void reclaimRecordings();
      },
      onRecordingLost: (recordingId, cause) => recordings.recordingLost(recordingId, cause),
      onSupervisionEvent: (interactionId, supervisionId, event, cause) => supervision.onSupervisionEvent(interactionId, supervisionId, event, cause),
    }, { untilUp: !cluster }); // a cluster's leader leads before ARI answers: chat needs no Asterisk
    recordings.recover();
    await admin.reapplyDisabled().catch((err: unknown) => logger.error({ err }, 'applying the disabling of agents again failed'));
    // Retention (recordings; seen SMS ids): at once, then at least four times per recording retention
    // period (hourly at most). A recording left "not stored yet" while Asterisk stayed up (the store
    // refused it) is tried again then too.
    void sweepRecordings();
    void forgetSeenSms();
    sweeping ??= setInterval(() => {
      void sweepRecordings();
      void forgetSeenSms();
      if (voice.health().state === 'up') void reclaimRecordings();
    }, Math.min(3600_000, config.recordingRetentionMs / 4)).unref();
  };
  let sweeping: NodeJS.Timeout | undefined;
  let absentSweep: NodeJS.Timeout | undefined;
  const logOutAbsentAgents = async () => {
    const since = clock.now();
    try {
      center.logOutAbsent(await sessions.loggedInAgents(), since);
    } catch (err) {
      logger.error({ err }, 'logging out agents nobody is at failed: tried again at the next sweep');
    }
  };
  const forgetSeenSms = () =>
    smsDesk.forgetSeen().then(
      (forgotten) => forgotten > 0 && logger.info({ forgotten }, 'seen SMS ids past their retention forgotten'),
      (err: unknown) => logger.error({ err }, 'forgetting seen SMS ids failed'),
    );
  // A password reset or changed ends the desk phone's password too: renewed unseen, its phone dropped
  // (a stolen session may have made it); the agent makes a new one on /account.
  const lockDeskPhone = async (agent: Agent) => {
    const desk = voice.admin;
    if (desk && (await desk.hasDeskPassword(agent.id))) await desk.lockDeskPassword(agent).catch((err: unknown) => logger.error({ err, agentId: agent.id }, 'renewing a desk phone password after a password change failed'));
  };
  const reclaimRecordings = () => recordings.reclaim().catch((err: unknown) => logger.error({ err }, 'collecting the recordings Asterisk still holds failed'));
  const sweepRecordings = () =>
    recordings.sweep().then(
      (deleted) => deleted > 0 && logger.info({ deleted }, 'call recordings past their retention deleted'),
      (err: unknown) => logger.error({ err }, 'deleting call recordings past their retention failed'),
    );

  // ---- administration: routing, sessions, phones and SMS numbers follow every change ----
  const sessions = new SessionRegistry(config.sessionTtlMs, cluster?.sessions);
  const admin = new Administration({
    directory,
    clock,
    passwords: { hash: hashPassword, verify: verifyPassword },
    hooks: {
      async agentChanged(agent, change) {
        if (change === 'disabled' || change === 'password') await sessions.endAgent(agent.id); // first: whatever fails after
        await center.agentChanged(agent);
        if (change === 'password') await logOutAbsentAgents(); // no one is logged in as them any more
        if (change === 'password' || change === 'own_password') await lockDeskPhone(agent);
        if (change !== 'password' && change !== 'own_password') voice.agentChanged(agent).catch((err: unknown) => logger.error({ err, agentId: agent.id }, "updating an agent's phone endpoints failed"));
        await supervision.supervisorChanged(agent).catch((err: unknown) => logger.error({ err, agentId: agent.id }, 'ending the supervisions of a former supervisor failed'));
      },
      servicesChanged: async (services) => {
        closure.servicesChanged(services);
        await refreshSmsNumbers(services);
      },
    },
  });
  if (!config.demoData && (await enabledAgents()).length === 0) logger.warn('no agents yet: create the first admin with `npm run admin -- create-admin <username>`');
  const targets = { center, multimedia, recordings, supervision, closure, handoffs, admin, sms: smsDesk, softphone: voice.softphone && { credentials: voice.softphone }, simulatedPhones: voice.simulatedPhones, telephonyAdmin: voice.admin };
  const soleNodeId = nodeIdOf(process.env, config.port);
  const node = cluster && new ClusterNode(cluster, { interactions, store, events, center, multimedia, sessions, targets, lead, logger });
  // Texts received on any node reach the SMS desk, which runs on the leader (before voice connects:
  // SIP MESSAGE listens on the Stasis app).
  const smsWebhook = sms.connect(node ? node.forward('sms', smsDesk) : smsDesk);
  if (node) smsReplies = () => node.runsRules;
  if (node) runsRules = () => node.runsRules;
  if (node) await node.start();
  else await lead();
  // The web layer's view of the domain and of voice: on a follower its commands go to the leader.
  const web = node ? forwardedTargets(node, targets) : targets;

  // ---- web, then listen ----
  const metrics = new Metrics(center, store, events);
  const rateLimits = new RateLimits(config.rateLimits, cluster?.limiterStore);
  const floor = new Floor({ store, ratings: stores.closures, events, clock, timeZone: config.timeZone, registry: interactions });
  const { app, presenter, supervisor } = createWebApp({
    center: web.center,
    admin: web.admin,
    closure: web.closure,
    handoffs: web.handoffs,
    floor,
    multimedia: web.multimedia,
    recordings: web.recordings,
    supervision: web.supervision,
    sessions,
    metrics,
    logger,
    mapTileUrl: config.mapTileUrl,
    softphone: web.softphone && ((agentId) => web.softphone!.credentials(agentId)),
    telephonyAdmin: web.telephonyAdmin,
    simulatedPhones: web.simulatedPhones,
    trustProxy: config.trustProxy,
    metricsToken: config.metricsToken,
    rateLimits,
    sms: { webhook: smsWebhook, deliveries: smsDesk },
    health: async () => ({
      database: await stores.health(),
      ari: voice.health(),
      sfu: video.health(),
      sms: sms.health(),
      cluster: node ? await node.health() : singleNodeHealth(soleNodeId),
    }),
  });
  const server = createServer(config, app);
  // A follower's softphones reach the cluster's one Asterisk too: its SIP WebSocket is beside ARI.
  const sipWsUrl = () => voice.sipWsUrl() ?? (node && node.role === 'follower' && config.ariUrl ? `${config.ariUrl.replace(/^http/, 'ws').replace(/\/$/, '')}/ws` : null);
  const sipProxy = new SipProxy(sipWsUrl, logger, new SipSockets(config.sipSockets, metrics.registry), config.sipSocketPingMs);
  // An ended chat's phone goes at once: its sockets close (their places come back) and it leaves the
  // simulated PSTN, so nothing rings or reaches it any more.
  events.subscribe((event) => {
    if (event.type !== 'interaction_changed' || event.interaction.state !== 'ended') return;
    const interactionId = event.interaction.id;
    sipProxy.closeOwner({ kind: 'customer', id: interactionId }, 1000, 'chat ended');
    if (node && node.role !== 'leader') return; // Asterisk is the leader's
    voice.simulatedPhones?.chatEnded(interactionId).catch((err: unknown) => logger.warn({ err, interactionId }, "removing an ended chat's phone failed"));
  });
  const hub = new EventHub(events);
  const realtime = attachRealtime(server, {
    center: web.center,
    multimedia: web.multimedia,
    hub,
    supervision: new SupervisionSockets({ admin: web.admin, center: web.center, hub, presenter: supervisor, logger }),
    sessions,
    presenter,
    metrics,
    logger,
    sipProxy,
    rateLimits,
    customerSockets: new CustomerSockets(config.customerSockets),
    app,
    endedChatAccessMs: config.endedChatAccessMs,
    staffSocketPingMs: config.staffSocketPingMs,
    simulatedPstn: voice.simulatedPhones !== null,
    clusterLink: node ? (req, socket, head) => node.upgrade(req, socket, head) : undefined,
  });
  const port = await listen(server, config, logger);
  await node?.listening(port);
  logStartUrls(logger, config, port, (await directory.listServices()).map((s) => s.id));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    center.shutdown();
    handoffs.shutdown();
    smsDesk.shutdown();
    clearInterval(sweeping);
    realtime.close();
    node?.closeLinks();
    video.close().catch((err: unknown) => logger.error({ err }, 'stopping the video SFU failed'));
    server.close(async () => {
      await voice.stop().catch((err: unknown) => logger.error({ err }, 'stopping telephony failed'));
      // ARI is let go first: the next leader, which may take over at once, is then the only one on it.
      await node?.stop().catch((err: unknown) => logger.error({ err }, 'leaving the cluster failed'));
      await stores.close().catch((err: unknown) => logger.error({ err }, 'closing the database failed'));
      logger.info('stopped');
      process.exit(0);
    });
    server.closeAllConnections();
    setTimeout(() => process.exit(1), 5000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  stopWithParent(stop);
}

function logDomainEvents(events: DomainEvents, logger: Logger): void {
  events.subscribe((event) => {
    if (event.type === 'store_failed') logger.error({ err: event.error }, 'write to the store failed');
    // Checked first: this runs for every message, and the object would be built even when not logged.
    if (event.type === 'entry_appended' && logger.isLevelEnabled('debug')) logger.debug({ interactionId: event.entry.interactionId, kind: event.entry.kind, seq: event.entry.seq }, 'timeline');
    if (event.type === 'interaction_changed') logger.info({ interactionId: event.interaction.id, state: event.interaction.state, agentId: event.interaction.agentId ?? event.interaction.offeredTo }, 'interaction');
  });
}

function createServer(config: Config, app: Parameters<typeof createHttpServer>[1]): Server {
  return config.tlsCert && config.tlsKey
    ? createHttpsServer({ cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) }, app)
    : createHttpServer(app);
}

async function listen(server: Server, config: Config, logger: Logger): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ port, host: config.host, tls: Boolean(config.tlsCert && config.tlsKey), dataDir: config.dataDir }, 'listening');
  return port;
}

// The last lines of start-up: where a newcomer goes next.
function logStartUrls(logger: Logger, config: Config, port: number, serviceIds: string[]): void {
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const base = `${config.tlsCert && config.tlsKey ? 'https' : 'http'}://${host}:${port}`;
  for (const id of serviceIds) logger.info(`customer page of ${id}: ${base}/m/${id}`);
  logger.info(`agent login: ${base}/login`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

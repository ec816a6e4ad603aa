import { join } from 'node:path';
import type { Logger } from 'pino';
import type { CallLeg } from '../domain/call-leg.ts';
import type { Agent } from '../domain/directory.ts';
import type { CallRecorder, SipCredentialStore, Telephony } from '../domain/ports.ts';
import type { CallSupervision } from '../domain/supervision.ts';
import { allowOnlyEvents } from './app-events.ts';
import type { AsteriskInstance } from './asterisk/process.ts';
import { AsteriskSupervisor } from './asterisk/supervisor.ts';
import { AriCallLegs, type CallEventSink } from './calls/call-legs.ts';
import { AriRecorder } from './calls/recordings.ts';
import { reconcileCalls, releaseLostCalls } from './calls/reconcile.ts';
import { reconcileSupervisions, releaseLostSupervisions } from './calls/reconcile-snoops.ts';
import { AriSnoops, type SupervisionEventSink } from './calls/snoops.ts';
import { refuseStranger, STRANGER_EVENTS } from './calls/strangers.ts';
import type { Ari, AriEvent } from './client.ts';
import { AriConnection } from './connection.ts';
import { AgentEndpoints } from './endpoints/agent-endpoints.ts';
import { EndpointStates } from './endpoints/endpoint-states.ts';
import { ChatPhones, SIMULATED_PHONE_HEADER } from './endpoints/simulated-pstn.ts';
import { telephonyAdmin } from './status.ts';

// The settings voice reads (part of src/config.ts's Config): 'local' runs the project's own Asterisk
// with asterisk-config/, 'external' connects to ARI_URL.
export interface VoiceConfig {
  telephony: 'local' | 'external' | 'off';
  dataDir: string; // a local Asterisk's runtime folder goes in it
  ariUrl: string | undefined;
  ariUser: string | undefined;
  ariPassword: string | undefined;
  ariApp: string;
  asteriskHttpPort: number;
  asteriskSipPort: number;
  asteriskBind?: string; // default 127.0.0.1
  customerDial: string; // template, {number} is replaced: "PJSIP/{number}@trunk"
  // SIMULATED_PSTN: the trunk leads to the development PSTN of asterisk-config/ (chats get phones).
  simulatedPstn: boolean;
  // RECORDING_FORMAT: what Asterisk writes call recordings in.
  recordingFormat?: 'wav' | 'wav16';
}

export type VoiceHealth = {
  state: string;
  detail?: string;
  // The local Asterisk only (TELEPHONY=local): its process, and how often it was started again.
  asteriskPid?: number | null;
  restarts?: number;
  lastRestartAt?: string | null;
};

// Where the rules hear of calls, given at connect: the rules are built after voice, and before any
// event can come.
export interface VoiceSinks {
  onCallEvent: CallEventSink;
  // The legs the rules hold live: matched against Asterisk's channels after every (re)connect.
  liveLegs: () => CallLeg[];
  // The legs, live or not, that a supervisor is still on by the rules: ended on reconnect if their call is.
  supervisedLegs?: () => CallLeg[];
  // Whether calls can be made now (ARI up), told at every change: the rules refuse calls while not.
  onAvailability?: (available: boolean) => void;
  // Asterisk ended a call's recording on its own while the call is up (it could not write the file).
  onRecordingLost?: (recordingId: string, cause: string) => Promise<void>;
  // Progress of supervisors' phones (Listen / Whisper / Barge).
  onSupervisionEvent?: SupervisionEventSink;
}

// Another adapter's share of the Stasis app (the SMS trunk's texts): it hears of every (re)connect,
// before calls are reconciled, is offered every event first, and is told of a planned stop.
export interface AriAppListener {
  // The ARI event types handle() takes: the Stasis app is sent no other (see app-events.ts).
  readonly events: readonly string[];
  connected(ari: Ari): Promise<void>;
  handle(event: AriEvent): boolean;
  stopping(ari: Ari): Promise<void>;
}

export interface AriApp {
  readonly name: string;
  // Before Voice.connect(): events come from the first connect on.
  listen(listener: AriAppListener): void;
  // The connection now; throws (saying why) while Asterisk is not reachable.
  current(): Ari;
  health(): VoiceHealth;
}

// Voice is part of the product but not a condition for chat: when Asterisk cannot be started or
// reached, chats go on, calling says why it is unavailable and /healthz shows it.
export interface Voice {
  // The domain's ports; null when TELEPHONY=off.
  readonly telephony: Telephony | null;
  readonly recorder: CallRecorder | null;
  // Listen / Whisper / Barge on calls in progress; null when TELEPHONY=off.
  readonly supervision: CallSupervision | null;
  readonly app: AriApp | null;
  readonly softphone: ((agentId: string) => Promise<{ username: string; password: string }>) | null;
  readonly admin: ReturnType<typeof telephonyAdmin> | null;
  // Development only (SIMULATED_PSTN=on): each chat's own phone in the simulated PSTN.
  readonly simulatedPhones: ChatPhones | null;
  sipWsUrl(): string | null; // null while calls cannot be made
  health(): VoiceHealth;
  // Never rejects: a voice that cannot connect says why in health() and keeps trying where it can.
  connect(sinks: VoiceSinks, opts?: { untilUp?: boolean }): Promise<void>;
  // Desk-phone and softphone endpoints follow the agent list: a new or enabled agent's are pushed, a
  // disabled agent's removed. Asterisk unreachable: the next connect pushes the list as it is then.
  agentChanged(agent: Agent): Promise<void>;
  stop(): Promise<void>;
}

// Builds voice without touching Asterisk: nothing starts or connects before connect().
// `agents`: every agent of the directory, disabled ones too (their endpoints are removed).
export function createVoice(config: VoiceConfig, logger: Logger, deps: { agents: () => Promise<Agent[]>; credentials: SipCredentialStore }): Voice {
  return config.telephony === 'off' ? NO_VOICE : new AriVoice(config, logger, deps);
}

const NO_VOICE: Voice = {
  telephony: null,
  recorder: null,
  supervision: null,
  app: null,
  softphone: null,
  admin: null,
  simulatedPhones: null,
  sipWsUrl: () => null,
  health: () => ({ state: 'not_configured', detail: 'TELEPHONY=off' }),
  connect: async () => undefined,
  agentChanged: async () => undefined,
  stop: async () => undefined,
};

// Where voice stands: built, connecting or connected (the connection keeps itself up), failed for good
// (the local Asterisk did not start), or stopped.
type Link =
  | { state: 'built' }
  | { state: 'failed'; detail: string }
  | { state: 'open'; connection: AriConnection; asterisk: AsteriskSupervisor | null; sipWsUrl: string }
  | { state: 'stopped' };

const FIRST_CONNECT_TIMEOUT_MS = 30_000;

class AriVoice implements Voice {
  readonly telephony: AriCallLegs;
  readonly recorder: AriRecorder;
  readonly supervision: AriSnoops;
  readonly app: AriApp;
  readonly softphone: Voice['softphone'];
  readonly admin: Voice['admin'];
  readonly simulatedPhones: Voice['simulatedPhones'];
  readonly #config: VoiceConfig;
  readonly #logger: Logger;
  readonly #agents: () => Promise<Agent[]>;
  readonly #endpoints: AgentEndpoints;
  readonly #endpointStates = new EndpointStates();
  readonly #listeners: AriAppListener[] = [];
  // Set by each reconcile (rebuild), run once the connection is up (takeUpAnswers).
  #answersToTakeUp: Array<() => Promise<void>> = [];
  #link: Link = { state: 'built' };
  // When the Asterisk of the last connect started (ARI's startup_time): a change means it restarted.
  #asteriskStartedAt: string | undefined;

  constructor(config: VoiceConfig, logger: Logger, deps: { agents: () => Promise<Agent[]>; credentials: SipCredentialStore }) {
    this.#config = config;
    this.#logger = logger;
    this.#agents = deps.agents;
    this.#endpoints = new AgentEndpoints(deps.credentials, logger);
    const current = () => this.current();
    this.supervision = new AriSnoops({
      ari: current,
      app: config.ariApp,
      phoneOf: (ari, agentId) => this.telephony.phoneOf(ari, agentId),
      agentChannelOf: (legId) => this.telephony.legs.get(legId)?.agentChannelId,
      onError: (err, context) => logger.error({ err, context }, 'supervision failed'),
    });
    const phones = (this.simulatedPhones = config.simulatedPstn ? new ChatPhones(current, deps.credentials) : null);
    this.telephony = new AriCallLegs({
      ari: current,
      app: config.ariApp,
      agentEndpoints: AgentEndpoints.of,
      endpointStates: this.#endpointStates,
      customerEndpoint: (number) => config.customerDial.replace('{number}', number),
      ...(phones ? { simulatedPhone: { header: SIMULATED_PHONE_HEADER, of: (id: string) => phones.endpointOf(id) } } : {}),
      onError: (err, context) => logger.error({ err, context }, 'call leg failed'),
      legEnded: (legId) => this.supervision.callEnded(legId),
    });
    this.recorder = new AriRecorder({ ari: current, format: config.recordingFormat ?? 'wav' });
    this.app = {
      name: config.ariApp,
      listen: (listener) => {
        if (this.#link.state !== 'built') throw new Error('a listener of the Stasis app joins before voice connects');
        this.#listeners.push(listener);
      },
      current,
      health: () => this.health(),
    };
    this.softphone = async (agentId) => ({ username: agentId, password: await this.#endpoints.browserPassword(this.connected(), agentId) });
    const enabled = async () => (await deps.agents()).filter((a) => !a.disabled);
    this.admin = telephonyAdmin({ ari: current, connected: () => this.connected(), endpoints: this.#endpoints, callLegs: this.telephony, snoops: this.supervision, agents: enabled });
  }

  async agentChanged(agent: Agent): Promise<void> {
    const ari = this.connected();
    if (!ari) return;
    if (agent.disabled) return this.#endpoints.remove(ari, agent.id);
    await this.#endpoints.push(ari, [agent]);
    await this.#endpointStates.watch(ari, this.#config.ariApp, AgentEndpoints.of(agent.id));
  }

  // Only while ARI is up: until the endpoints are pushed again after a restart, a phone's REGISTER
  // would be refused, and sip.js does not try again after a refusal.
  sipWsUrl(): string | null {
    return this.#link.state === 'open' && this.#link.connection.state === 'up' ? this.#link.sipWsUrl : null;
  }

  health(): VoiceHealth {
    const link = this.#link;
    if (link.state === 'built') return { state: 'connecting' };
    if (link.state === 'failed') return { state: 'down', detail: link.detail };
    if (link.state === 'stopped') return { state: 'stopped' };
    const { detail } = link.connection;
    const supervision = link.asterisk?.status();
    // ARI can answer a restarted Asterisk before its supervisor has seen it ready: until then it is
    // not up, as its pid and restart count would not say so yet.
    const starting = supervision && supervision.state !== 'running' ? supervision.state : undefined;
    const state = link.connection.state === 'up' && starting ? starting : link.connection.state;
    return {
      state,
      ...(detail ? { detail } : {}),
      ...(supervision ? { asteriskPid: supervision.pid, restarts: supervision.restarts, lastRestartAt: supervision.lastRestartAt } : {}),
    };
  }

  // Starts the local Asterisk (if any) and the link to ARI. `untilUp`: resolves only once ARI answered
  // (or after 30 s); without it, at once: a cluster's new leader serves the rules meanwhile (chat
  // needs no Asterisk; calls are refused as unavailable until it is reached).
  async connect(sinks: VoiceSinks, opts: { untilUp?: boolean } = {}): Promise<void> {
    const log = this.#logger.child({ part: 'asterisk' });
    if (sinks.onSupervisionEvent) this.supervision.reportTo(sinks.onSupervisionEvent);
    const supervisor = this.#config.telephony === 'local' ? this.supervise(log, sinks) : null;
    let asterisk: AsteriskInstance | null;
    try {
      asterisk = (await supervisor?.start()) ?? null;
    } catch (err) {
      this.#link = { state: 'failed', detail: (err as Error).message };
      this.#logger.error({ err }, 'telephony could not start: calling is unavailable until this is fixed');
      sinks.onAvailability?.(false);
      return;
    }
    if (this.#link.state === 'stopped') return void (await supervisor?.stop());
    const ariUrl = asterisk?.ariUrl ?? this.#config.ariUrl!;
    const connection = new AriConnection({
      url: ariUrl,
      user: asterisk?.ariUser ?? this.#config.ariUser!,
      password: asterisk?.ariPassword ?? this.#config.ariPassword!,
      app: this.#config.ariApp,
      logger: this.#logger,
      onEvent: (event, ari) => this.route(event, ari, sinks),
      onConnected: (ari) => this.rebuild(ari, sinks),
      onStateChange: (state) => {
        sinks.onAvailability?.(state === 'up');
        if (state === 'up') void this.takeUpAnswers();
      },
    });
    const sipWsUrl = asterisk?.sipWsUrl ?? ariUrl.replace(/^http/, 'ws') + '/ws';
    this.#link = { state: 'open', connection, asterisk: supervisor, sipWsUrl };
    // Not waited for: until ARI is up (and reconciled) the rules refuse calls as unavailable, whatever
    // the last leader said of it.
    if (opts.untilUp === false) sinks.onAvailability?.(false);
    const first = connection.start(FIRST_CONNECT_TIMEOUT_MS).then(
      () => this.#logger.info({ mode: this.#config.telephony, sipPort: asterisk?.sipUdpPort, sipWsUrl }, 'telephony up'),
      (err: unknown) => this.#logger.error({ err }, 'ARI did not answer at start: calling is unavailable until it does (still trying)'),
    );
    if (opts.untilUp !== false) await first;
  }

  async stop(): Promise<void> {
    const link = this.#link;
    this.#link = { state: 'stopped' };
    if (link.state !== 'open') return;
    if (link.connection.state === 'up') {
      const ari = link.connection.current();
      for (const listener of this.#listeners) await listener.stopping(ari);
    }
    link.connection.stop();
    await link.asterisk?.stop();
  }

  private current(): Ari {
    const link = this.#link;
    if (link.state === 'open') return link.connection.current();
    const why = link.state === 'failed' ? `it could not start: ${link.detail}` : `ARI ${link.state === 'built' ? 'not connected yet' : 'stopped'}`;
    throw new Error(`Asterisk is not reachable (${why})`);
  }

  // The connection when it is up, else null (work that can wait for the next connect).
  private connected(): Ari | null {
    return this.#link.state === 'open' && this.#link.connection.state === 'up' ? this.#link.connection.current() : null;
  }

  // The local Asterisk, started again whenever it dies. Its death ends its calls at once (their cause
  // on the timeline) and marks ARI down; once it is back the connection is made at once, which
  // pushes the endpoints again and reconciles (see rebuild).
  private supervise(log: Logger, sinks: VoiceSinks): AsteriskSupervisor {
    const connection = () => (this.#link.state === 'open' ? this.#link.connection : undefined);
    return new AsteriskSupervisor({
      asterisk: {
        runtimeDir: join(this.#config.dataDir, 'asterisk'),
        httpPort: this.#config.asteriskHttpPort,
        sipPort: this.#config.asteriskSipPort,
        ...(this.#config.asteriskBind ? { bind: this.#config.asteriskBind } : {}),
        logger: { info: (m) => log.debug(m), warn: (m) => log.warn(m), error: (m) => log.error(m) },
      },
      logger: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) },
      onExit: (info) => {
        connection()?.lost(`Asterisk stopped (${info}); restarting it`);
        const liveLegs = sinks.liveLegs();
        releaseLostCalls({ liveLegs, callLegs: this.telephony, onEvent: sinks.onCallEvent })
          .then(async (lost) => {
            if (sinks.onSupervisionEvent) await releaseLostSupervisions({ liveLegs, snoops: this.supervision, onEvent: sinks.onSupervisionEvent });
            return lost;
          })
          .then(
          (lost) => lost && this.#logger.warn({ lost }, 'calls lost with Asterisk released'),
          (err: unknown) => this.#logger.error({ err }, 'releasing the calls lost with Asterisk failed'),
        );
      },
      onRestarted: (instance) => {
        this.#logger.info({ pid: instance.pid }, 'Asterisk restarted');
        connection()?.reconnectNow();
      },
    });
  }

  // A different Asterisk than at the last connect, or the local one (started by us, so fresh at first).
  private async asteriskRestarted(ari: Ari): Promise<boolean> {
    const info = (await ari.asterisk.getInfo()) as { status?: { startup_time?: string } };
    const startedAt = info.status?.startup_time;
    const previous = this.#asteriskStartedAt;
    this.#asteriskStartedAt = startedAt;
    return previous === undefined ? this.#config.telephony === 'local' : previous !== startedAt;
  }

  private route(event: AriEvent, ari: Ari, sinks: VoiceSinks): void {
    if (this.#listeners.some((listener) => listener.handle(event))) return;
    if (this.#endpointStates.handle(event)) return;
    const callUp = (legId: string) => this.telephony.legs.has(legId);
    const lost = (recordingId: string, cause: string) =>
      sinks.onRecordingLost?.(recordingId, cause).catch((err: unknown) => this.#logger.error({ err, recordingId }, 'noting a lost recording failed'));
    if (this.recorder.handle(event, callUp, lost)) return;
    if (this.supervision.handle(event)) return;
    if (!this.telephony.handle(event, sinks.onCallEvent)) refuseStranger(ari, event, this.#logger);
  }

  // Answers the last reconcile found that the rules never heard, taken up once ARI is up; a failure is
  // the call's (its leg ends as ARI says), logged here.
  private async takeUpAnswers(): Promise<void> {
    const answers = this.#answersToTakeUp.splice(0);
    for (const takeUp of answers) await takeUp().catch((err: unknown) => this.#logger.error({ err }, 'taking up an answer heard while away failed'));
  }

  // After every (re)connect, before the connection counts as up: Asterisk may have restarted and lost
  // its memory objects and subscriptions, and calls may have ended while either side was away.
  private async rebuild(ari: Ari, sinks: VoiceSinks): Promise<void> {
    const events = [...AriCallLegs.EVENTS, ...AriRecorder.EVENTS, ...AriSnoops.EVENTS, ...EndpointStates.EVENTS, ...STRANGER_EVENTS, ...this.#listeners.flatMap((l) => l.events)];
    await allowOnlyEvents(ari, this.#config.ariApp, events);
    const everyAgent = await this.#agents();
    const agents = everyAgent.filter((a) => !a.disabled);
    await this.#endpoints.push(ari, agents);
    await this.#endpoints.catchUp(ari, everyAgent.filter((a) => a.disabled));
    const restarted = await this.asteriskRestarted(ari);
    if (restarted) await this.#endpoints.dropBrowserRegistrations(ari, agents);
    await this.simulatedPhones?.restore(ari, restarted);
    await this.#endpointStates.refresh(ari, this.#config.ariApp, agents.flatMap((a) => AgentEndpoints.of(a.id)));
    for (const listener of this.#listeners) await listener.connected(ari);
    const liveLegs = sinks.liveLegs();
    const { later, ...result } = await reconcileCalls({ ari, liveLegs, callLegs: this.telephony, onEvent: sinks.onCallEvent });
    this.#answersToTakeUp = later;
    if (result.adopted + result.ended + result.strays + result.bridgesRemoved > 0) this.#logger.info(result, 'calls reconciled with Asterisk');
    const legs = [...new Set([...liveLegs, ...(sinks.supervisedLegs?.() ?? [])])];
    const supervised = await reconcileSupervisions({ ari, legs, snoops: this.supervision, onEvent: sinks.onSupervisionEvent ?? (async () => undefined) });
    if (supervised.adopted + supervised.ended + supervised.strays > 0) this.#logger.info(supervised, 'supervisors reconciled with Asterisk');
  }
}

import { join } from 'node:path';
import type { Logger } from 'pino';
import type { CallLeg } from '../domain/call-leg.ts';
import type { Agent } from '../domain/directory.ts';
import type { SipCredentialStore } from '../domain/ports.ts';
import { startAsterisk, type AsteriskInstance } from './asterisk-process.ts';
import { AriCallLegs, type CallEventSink } from './call-legs.ts';
import { AriConnection } from './connection.ts';
import { EndpointStates } from './endpoint-states.ts';
import { AgentEndpoints } from './endpoints.ts';
import { SmsTrunk, type TrunkText } from './sms-trunk.ts';
import { reconcileCalls } from './reconcile.ts';
import { refuseStranger } from './strangers.ts';

export interface TelephonyConfig {
  mode: 'local' | 'external';
  dataDir: string;
  ariUrl?: string;
  ariUser?: string;
  ariPassword?: string;
  sipWsUrl?: string; // where the /sip proxy forwards (external mode: Asterisk's ws://host:port/ws)
  httpPort: number;
  sipPort: number;
  app: string;
  customerDial: string; // template, {number} is replaced: "PJSIP/{number}@trunk"
  smsTrunk?: string; // PJSIP endpoint whose texts (SIP MESSAGE) the controller takes; none: no SIP texts
}

export interface RunningTelephony {
  callLegs: AriCallLegs;
  endpoints: AgentEndpoints;
  connection: AriConnection;
  smsTrunk: SmsTrunk | null;
  sipWsUrl: string;
  asterisk: AsteriskInstance | null;
  stop(): Promise<void>;
}

// Starts voice: a local Asterisk with the project's asterisk-config/ (or an external one given by
// ARI_URL), the ARI connection, agent endpoints and the call legs, reconciled after every connect.
export async function startTelephony(opts: {
  config: TelephonyConfig;
  logger: Logger;
  agents: () => Promise<Agent[]>;
  credentials: SipCredentialStore;
  liveLegs: () => CallLeg[];
  onCallEvent: CallEventSink;
  onText?: (text: TrunkText) => void;
}): Promise<RunningTelephony> {
  const { config, logger } = opts;
  const log = logger.child({ part: 'asterisk' });
  const asterisk =
    config.mode === 'local'
      ? await startAsterisk({
          runtimeDir: join(config.dataDir, 'asterisk'),
          httpPort: config.httpPort,
          sipPort: config.sipPort,
          logger: { info: (m) => log.debug(m), warn: (m) => log.warn(m), error: (m) => log.error(m) },
        })
      : null;
  const ariUrl = asterisk?.ariUrl ?? config.ariUrl!;
  const endpoints = new AgentEndpoints(opts.credentials, logger);
  const late: { connection?: AriConnection } = {};
  const endpointStates = new EndpointStates();
  const smsTrunk = config.smsTrunk
    ? new SmsTrunk({ endpoint: config.smsTrunk, app: config.app, logger, onText: (text) => opts.onText?.(text) })
    : null;
  const callLegs = new AriCallLegs({
    ari: () => late.connection!.current(),
    app: config.app,
    agentEndpoints: (agentId) => [AgentEndpoints.browser(agentId), AgentEndpoints.desk(agentId)],
    endpointStates,
    customerEndpoint: (number) => config.customerDial.replace('{number}', number),
    onEvent: opts.onCallEvent,
    onError: (err, context) => logger.error({ err, context }, 'call leg failed'),
  });
  const connection = (late.connection = new AriConnection({
    url: ariUrl,
    user: asterisk?.ariUser ?? config.ariUser!,
    password: asterisk?.ariPassword ?? config.ariPassword!,
    app: config.app,
    logger,
    onEvent: (event, ari) => {
      if (smsTrunk?.handle(event)) return;
      if (endpointStates.handle(event)) return;
      if (!callLegs.handle(event)) refuseStranger(ari, event, logger);
    },
    onConnected: async (ari) => {
      const agents = await opts.agents();
      await endpoints.push(ari, agents);
      await endpointStates.refresh(ari, config.app, agents.flatMap((a) => [AgentEndpoints.browser(a.id), AgentEndpoints.desk(a.id)]));
      await smsTrunk?.subscribe(ari);
      const result = await reconcileCalls({ ari, liveLegs: opts.liveLegs(), callLegs, onEvent: opts.onCallEvent });
      if (result.adopted + result.ended + result.strays + result.bridgesRemoved > 0) logger.info(result, 'calls reconciled with Asterisk');
    },
  }));
  await connection.start();
  return {
    callLegs,
    endpoints,
    connection,
    smsTrunk,
    sipWsUrl: asterisk?.sipWsUrl ?? config.sipWsUrl ?? ariUrl.replace(/^http/, 'ws') + '/ws',
    asterisk,
    async stop() {
      if (smsTrunk && connection.state === 'up') await smsTrunk.unsubscribe(connection.current());
      connection.stop();
      await asterisk?.stop();
    },
  };
}

import type { Logger } from 'pino';
import { startTelephony, type RunningTelephony } from './ari/telephony.ts';
import type { Config } from './config.ts';
import type { CallLeg } from './domain/call-leg.ts';
import type { Agent } from './domain/directory.ts';
import type { SipCredentialStore } from './domain/ports.ts';
import type { CallEventSink } from './ari/call-legs.ts';
import type { TrunkText } from './ari/sms-trunk.ts';

export interface Voice {
  running: RunningTelephony | null;
  health(): { state: string; detail?: string };
  stop(): Promise<void>;
}

// Voice is part of the product but not a condition for chat: when Asterisk cannot be started or
// reached, chats go on, calling says why it is unavailable and /healthz shows it.
export async function startVoice(
  config: Config,
  logger: Logger,
  deps: { agents: () => Promise<Agent[]>; credentials: SipCredentialStore; liveLegs: () => CallLeg[]; onCallEvent: CallEventSink; onText?: (text: TrunkText) => void },
): Promise<Voice> {
  if (config.telephony === 'off') {
    return { running: null, health: () => ({ state: 'not_configured', detail: 'TELEPHONY=off' }), stop: async () => undefined };
  }
  try {
    const running = await startTelephony({
      config: {
        mode: config.telephony,
        dataDir: config.dataDir,
        ariUrl: config.ariUrl,
        ariUser: config.ariUser,
        ariPassword: config.ariPassword,
        httpPort: config.asteriskHttpPort,
        sipPort: config.asteriskSipPort,
        app: config.ariApp,
        customerDial: config.customerDial,
        smsTrunk: config.smsSipTrunk,
      },
      logger,
      ...deps,
    });
    logger.info({ mode: config.telephony, sipPort: running.asterisk?.sipUdpPort, sipWsUrl: running.sipWsUrl }, 'telephony up');
    return {
      running,
      health: () => ({ state: running.connection.state, ...(running.connection.detail ? { detail: running.connection.detail } : {}) }),
      stop: () => running.stop(),
    };
  } catch (err) {
    logger.error({ err }, 'telephony could not start: calling is unavailable until this is fixed');
    const detail = (err as Error).message;
    return { running: null, health: () => ({ state: 'down', detail }), stop: async () => undefined };
  }
}

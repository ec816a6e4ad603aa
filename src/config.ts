import { resolve } from 'node:path';
import type { VoiceConfig } from './ari/index.ts';
import type { SmsConfig } from './sms/index.ts';
import type { RateLimitSettings } from './web/rate-limits.ts';

// Every setting comes from the environment, with defaults that run the whole product on one machine.
// Voice and SMS declare the settings they read; the rest are read here.
export interface Config extends VoiceConfig, SmsConfig {
  port: number;
  host: string;
  dataDir: string;
  logLevel: string;
  demoAgentPassword: string | undefined;
  offerTimeoutMs: number;
  maxChatsPerAgent: number;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  trustProxy: string | undefined;
  mapTileUrl: string;
  sessionTtlMs: number;
  smsPartWaitMs: number;
  rateLimits: RateLimitSettings;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    port: int(env.PORT, 3000),
    host: env.HOST || '0.0.0.0',
    dataDir: resolve(env.DATA_DIR || './data'),
    logLevel: env.LOG_LEVEL || 'info',
    demoAgentPassword: env.DEMO_AGENT_PASSWORD || undefined,
    offerTimeoutMs: int(env.OFFER_TIMEOUT_S, 30) * 1000,
    maxChatsPerAgent: int(env.MAX_CHATS_PER_AGENT, 3),
    tlsCert: env.TLS_CERT || undefined,
    tlsKey: env.TLS_KEY || undefined,
    trustProxy: env.TRUST_PROXY || undefined,
    mapTileUrl: env.MAP_TILE_URL || 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
    sessionTtlMs: int(env.SESSION_TTL_H, 12) * 3600_000,
    // An Asterisk given by ARI_URL is used as is; otherwise the product starts its own.
    telephony: telephonyMode(env),
    ariUrl: env.ARI_URL || undefined,
    ariUser: env.ARI_USER || undefined,
    ariPassword: env.ARI_PASSWORD || undefined,
    ariApp: env.ARI_APP || 'contact-center',
    asteriskHttpPort: int(env.ASTERISK_HTTP_PORT, 8088),
    asteriskSipPort: int(env.ASTERISK_SIP_PORT, 5060),
    customerDial: env.CUSTOMER_DIAL || 'PJSIP/{number}@trunk',
    smsWebhookSecret: env.SMS_WEBHOOK_SECRET || undefined,
    smsGatewayUrl: env.SMS_GATEWAY_URL || undefined,
    smsNumbers: smsNumbers(env.SMS_NUMBERS || '+15550009000=roadside'),
    smsPartWaitMs: int(env.SMS_PART_WAIT_S, 30) * 1000,
    smsSipTrunk: smsSipTrunk(env.SMS_SIP_TRUNK),
    rateLimits: rateLimits(env),
  };
}

// Abuse limits: a customer who sends a message a second and ten photos never meets them.
function rateLimits(env: NodeJS.ProcessEnv): RateLimitSettings {
  const limit = (name: string, fallback: number) => {
    const n = int(env[name], fallback);
    if (n < 1) throw new Error(`${name} must be at least 1, got "${env[name]}"`);
    return n;
  };
  return {
    loginAttemptsBeforeBackoff: limit('LOGIN_ATTEMPTS_BEFORE_BACKOFF', 5),
    loginBackoffMaxS: limit('LOGIN_BACKOFF_MAX_S', 900),
    loginFailsPerAddressPerHour: limit('LOGIN_FAILS_PER_ADDRESS_PER_HOUR', 30),
    chatsPerAddressPerHour: limit('CHATS_PER_ADDRESS_PER_HOUR', 30),
    messagesPerChatPerMinute: limit('MESSAGES_PER_CHAT_PER_MINUTE', 120),
    contextUpdatesPerChatPerMinute: limit('CONTEXT_UPDATES_PER_CHAT_PER_MINUTE', 60),
    uploadsPerChatPerHour: limit('UPLOADS_PER_CHAT_PER_HOUR', 30),
    uploadMbPerChatPerHour: limit('UPLOAD_MB_PER_CHAT_PER_HOUR', 150),
    uploadsPerAddressPerHour: limit('UPLOADS_PER_ADDRESS_PER_HOUR', 60),
    uploadMbPerAddressPerHour: limit('UPLOAD_MB_PER_ADDRESS_PER_HOUR', 300),
    uploadMemoryPerAddressMb: limit('UPLOAD_MEMORY_PER_ADDRESS_MB', 40),
    uploadMemoryMb: limit('UPLOAD_MEMORY_MB', 160),
  };
}

// SMS_NUMBERS: "+15550009000=roadside,+15550009001=claims".
function smsNumbers(value: string): Record<string, string> {
  const numbers: Record<string, string> = {};
  for (const pair of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\+[1-9][0-9]{6,14})\s*=\s*([A-Za-z0-9_-]+)$/.exec(pair);
    if (!m) throw new Error(`SMS_NUMBERS: expected "+E164=service", got "${pair}"`);
    numbers[m[1]!] = m[2]!;
  }
  return numbers;
}

// SMS_SIP_TRUNK: the endpoint's name (default sms-trunk), or "off".
function smsSipTrunk(value: string | undefined): string | undefined {
  if (value === 'off') return undefined;
  const name = value || 'sms-trunk';
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`SMS_SIP_TRUNK: expected a PJSIP endpoint name or "off", got "${name}"`);
  return name;
}

function int(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a non-negative integer, got "${value}"`);
  return n;
}

function telephonyMode(env: NodeJS.ProcessEnv): Config['telephony'] {
  const mode = env.TELEPHONY || (env.ARI_URL ? 'external' : 'local');
  if (mode !== 'local' && mode !== 'external' && mode !== 'off') throw new Error(`TELEPHONY must be local, external or off, got "${mode}"`);
  if (mode === 'external' && !(env.ARI_URL && env.ARI_USER && env.ARI_PASSWORD)) {
    throw new Error('TELEPHONY=external needs ARI_URL, ARI_USER and ARI_PASSWORD');
  }
  return mode;
}

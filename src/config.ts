import { isSupportedCountry, type CountryCode } from 'libphonenumber-js';
import { resolve } from 'node:path';
import { readAsteriskEnv } from './ari/asterisk/env-file.ts';
import type { VoiceConfig } from './ari/index.ts';
import { checkedTimeZone, processTimeZone } from './domain/time-zone.ts';
import { LIMITS } from './domain/limits.ts';
import type { SmsConfig } from './sms/index.ts';
import type { CustomerSocketCaps } from './web/mobile-api/customer-sockets.ts';
import type { SipSocketCaps } from './web/sip-sockets.ts';
import type { RateLimitSettings } from './web/rate-limits.ts';

// Every setting comes from the environment, with defaults that run the whole product on one machine.
// Voice and SMS declare the settings they read; the rest are read here.
export interface Config extends VoiceConfig, SmsConfig {
  port: number;
  host: string;
  dataDir: string;
  // postgres://...: PostgreSQL holds everything (a cluster's nodes share it); unset: SQLite under dataDir.
  databaseUrl: string | undefined;
  logLevel: string;
  demoAgentPassword: string | undefined;
  // DEMO_DATA=off: a production install starts empty (npm run admin -- create-admin <username>).
  demoData: boolean;
  offerTimeoutMs: number;
  maxChatsPerAgent: number;
  maxWaitingChats: number;
  maxChatEntries: number;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  trustProxy: string | undefined;
  mapTileUrl: string;
  sessionTtlMs: number;
  smsPartWaitMs: number;
  sipSockets: SipSocketCaps;
  customerSockets: CustomerSocketCaps;
  sipSocketPingMs: number;
  staffSocketPingMs: number;
  // How long an ended chat's token still reads its history; then it answers 401.
  endedChatAccessMs: number;
  // Bearer token of /metrics; unset: /metrics answers only requests from this machine.
  metricsToken: string | undefined;
  rateLimits: RateLimitSettings;
  // Call recordings are deleted this long after they were stored.
  recordingRetentionMs: number;
  // The center's time zone (IANA): the floor's "today" and its chart's hours.
  timeZone: string;
}

export function loadConfig(given: NodeJS.ProcessEnv = process.env): Config {
  // ASTERISK_ENV_FILE (written by `npm run asterisk`) says where ARI is; variables set here win.
  const env = given.ASTERISK_ENV_FILE ? { ...readAsteriskEnv(given.ASTERISK_ENV_FILE), ...given } : given;
  return {
    port: int(env.PORT, 3000),
    host: env.HOST || '0.0.0.0',
    dataDir: resolve(env.DATA_DIR || './data'),
    databaseUrl: databaseUrl(env.DATABASE_URL),
    logLevel: env.LOG_LEVEL || 'info',
    demoAgentPassword: env.DEMO_AGENT_PASSWORD || undefined,
    demoData: onOff('DEMO_DATA', env.DEMO_DATA, true),
    offerTimeoutMs: int(env.OFFER_TIMEOUT_S, 30) * 1000,
    maxChatsPerAgent: int(env.MAX_CHATS_PER_AGENT, 3),
    maxWaitingChats: int(env.MAX_WAITING_CHATS, 1000),
    maxChatEntries: int(env.MAX_CHAT_ENTRIES, LIMITS.chatEntriesMax),
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
    asteriskBind: env.ASTERISK_BIND || undefined,
    customerDial: env.CUSTOMER_DIAL || 'PJSIP/{number}@trunk',
    simulatedPstn: simulatedPstn(env),
    smsWebhookSecret: env.SMS_WEBHOOK_SECRET || undefined,
    smsGatewayUrl: env.SMS_GATEWAY_URL || undefined,
    smsNumbers: smsNumbers(env.SMS_NUMBERS || '+15550009000=roadside'),
    smsPartWaitMs: int(env.SMS_PART_WAIT_S, 30) * 1000,
    smsSipTrunk: smsSipTrunk(env.SMS_SIP_TRUNK),
    smsSipCountry: smsSipCountry(env.SMS_SIP_COUNTRY),
    sipSockets: sipSocketCaps(env),
    // A /sip socket that does not answer a ping within this long is cut and its place given back.
    sipSocketPingMs: atLeastOne('SIP_SOCKET_PING_S', int(env.SIP_SOCKET_PING_S, 30)) * 1000,
    // An agent's or supervisor's page socket likewise: a laptop gone from the network lets go of its
    // video transports and stops counting as an open desktop.
    staffSocketPingMs: atLeastOne('DESKTOP_SOCKET_PING_S', int(env.DESKTOP_SOCKET_PING_S, 30)) * 1000,
    // Customers' event sockets: an app, a page and a reconnect or two per chat; this node's file
    // descriptors in all.
    customerSockets: {
      perChat: atLeastOne('CUSTOMER_SOCKETS_PER_CHAT', int(env.CUSTOMER_SOCKETS_PER_CHAT, 8)),
      perAddress: atLeastOne('CUSTOMER_SOCKETS_PER_ADDRESS', int(env.CUSTOMER_SOCKETS_PER_ADDRESS, 64)),
      total: atLeastOne('CUSTOMER_SOCKETS_MAX', int(env.CUSTOMER_SOCKETS_MAX, 10_000)),
      pingMs: atLeastOne('CUSTOMER_SOCKET_PING_S', int(env.CUSTOMER_SOCKET_PING_S, 30)) * 1000,
    },
    endedChatAccessMs: Math.round(hours(env.ENDED_CHAT_ACCESS_H, 4) * 3600_000),
    metricsToken: env.METRICS_TOKEN || undefined,
    rateLimits: rateLimits(env),
    recordingFormat: recordingFormat(env.RECORDING_FORMAT),
    // 90 days: the usual window for quality reviews and customer disputes, at about 1 MB per recorded
    // minute (8 kHz WAV); a deployment bound by a stricter rule sets its own.
    recordingRetentionMs: Math.round(positive('RECORDING_RETENTION_DAYS', env.RECORDING_RETENTION_DAYS, 90) * 86_400_000),
    timeZone: timeZone(env.TIME_ZONE),
  };
}

// Abuse limits: a customer who sends a message a second and ten photos never meets them.
function rateLimits(env: NodeJS.ProcessEnv): RateLimitSettings {
  const limit = (name: string, fallback: number) => atLeastOne(name, int(env[name], fallback));
  return {
    loginAttemptsBeforeBackoff: limit('LOGIN_ATTEMPTS_BEFORE_BACKOFF', 5),
    loginBackoffMaxS: limit('LOGIN_BACKOFF_MAX_S', 900),
    loginFailsPerAddressPerHour: limit('LOGIN_FAILS_PER_ADDRESS_PER_HOUR', 30),
    chatsPerAddressPerHour: limit('CHATS_PER_ADDRESS_PER_HOUR', 30),
    messagesPerChatPerMinute: limit('MESSAGES_PER_CHAT_PER_MINUTE', 120),
    contextUpdatesPerChatPerMinute: limit('CONTEXT_UPDATES_PER_CHAT_PER_MINUTE', 60),
    phoneRequestsPerChatPerMinute: limit('PHONE_REQUESTS_PER_CHAT_PER_MINUTE', 10),
    videoRequestsPerChatPerMinute: limit('VIDEO_REQUESTS_PER_CHAT_PER_MINUTE', 20),
    videoTransportsPerChatPerMinute: limit('VIDEO_TRANSPORTS_PER_CHAT_PER_MINUTE', 40),
    historyReadsPerChatPerMinute: limit('HISTORY_READS_PER_CHAT_PER_MINUTE', 30),
    uploadsPerChatPerHour: limit('UPLOADS_PER_CHAT_PER_HOUR', 30),
    uploadMbPerChatPerHour: limit('UPLOAD_MB_PER_CHAT_PER_HOUR', 150),
    uploadsPerAddressPerHour: limit('UPLOADS_PER_ADDRESS_PER_HOUR', 60),
    uploadMbPerAddressPerHour: limit('UPLOAD_MB_PER_ADDRESS_PER_HOUR', 300),
    uploadMemoryPerAddressMb: limit('UPLOAD_MEMORY_PER_ADDRESS_MB', 40),
    uploadMemoryMb: limit('UPLOAD_MEMORY_MB', 160),
  };
}

// TIME_ZONE: an IANA name; unset: the process's zone (TZ, or the system's), as before the setting.
function timeZone(value: string | undefined): string {
  if (!value) return processTimeZone();
  try {
    return checkedTimeZone(value);
  } catch (err) {
    throw new Error(`TIME_ZONE: ${(err as Error).message}`, { cause: err });
  }
}

// DATABASE_URL: a PostgreSQL URL. Never quoted back in an error: it may hold a password.
function databaseUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let protocol: string;
  try {
    protocol = new URL(value).protocol;
  } catch {
    throw new Error('DATABASE_URL is not a URL: expected postgres://user:password@host:port/database');
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') throw new Error(`DATABASE_URL: expected a postgres:// URL, got one starting with ${protocol}//`);
  return value;
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

// SMS_SIP_COUNTRY: the ISO 3166 code (FR, US, ...) of the carrier behind the SMS trunk, whose national
// numbers ("0612345678") it reads; unset: bare digits are international numbers without their "+".
function smsSipCountry(value: string | undefined): CountryCode | undefined {
  if (!value) return undefined;
  const code = value.toUpperCase();
  if (!isSupportedCountry(code)) throw new Error(`SMS_SIP_COUNTRY: expected a country's two-letter ISO 3166 code such as FR or US, got "${value}"`);
  return code;
}

// /sip sockets (softphones, the customer page's simulated phone): each holds one of Asterisk's HTTP
// sessions (200 in asterisk-config/http.conf), so the defaults leave 50 for ARI and customers get at
// most a third of the rest. Per node: nodes sharing one Asterisk must split these.
function sipSocketCaps(env: NodeJS.ProcessEnv): Config['sipSockets'] {
  const caps = {
    perChat: int(env.SIP_SOCKETS_PER_CHAT, 2),
    perAddress: int(env.SIP_SOCKETS_PER_ADDRESS, 6),
    perAgentSession: int(env.SIP_SOCKETS_PER_AGENT_SESSION, 2),
    customers: int(env.SIP_SOCKETS_CUSTOMERS_MAX, 50),
    total: int(env.SIP_SOCKETS_MAX, 150),
  };
  if (caps.customers >= caps.total) throw new Error(`SIP_SOCKETS_CUSTOMERS_MAX (${caps.customers}) must be below SIP_SOCKETS_MAX (${caps.total}): agents need room`);
  return caps;
}

function atLeastOne(name: string, n: number): number {
  if (n < 1) throw new Error(`${name}: expected at least 1, got ${n}`);
  return n;
}

// SIMULATED_PSTN: on by default only with the project's own Asterisk, whose trunk leads to it (the
// quick start); a carrier's trunk is a real PSTN, where customers' pages get no phones.
function simulatedPstn(env: NodeJS.ProcessEnv): boolean {
  const value = env.SIMULATED_PSTN || (telephonyMode(env) === 'local' ? 'on' : 'off');
  if (value !== 'on' && value !== 'off') throw new Error(`SIMULATED_PSTN must be on or off, got "${value}"`);
  return value === 'on';
}

function onOff(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (value !== 'on' && value !== 'off') throw new Error(`${name} must be on or off, got "${value}"`);
  return value === 'on';
}

function int(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a non-negative integer, got "${value}"`);
  return n;
}

// Hours, fractions allowed (0.01 is 36 s).
function hours(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`expected a non-negative number of hours, got "${value}"`);
  return n;
}

// Days, fractions allowed; 0 would delete a recording as soon as it is stored.
function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}: expected a positive number, got "${value}"`);
  return n;
}

// RECORDING_FORMAT: what Asterisk writes, among the formats a browser plays: wav (8 kHz, the PSTN's
// quality, about 1 MB a minute) or wav16 (16 kHz, twice that, for wideband phones).
function recordingFormat(value: string | undefined): 'wav' | 'wav16' {
  const format = value || 'wav';
  if (format !== 'wav' && format !== 'wav16') throw new Error(`RECORDING_FORMAT must be wav or wav16, got "${format}"`);
  return format;
}

function telephonyMode(env: NodeJS.ProcessEnv): Config['telephony'] {
  const mode = env.TELEPHONY || (env.ARI_URL ? 'external' : 'local');
  if (mode !== 'local' && mode !== 'external' && mode !== 'off') throw new Error(`TELEPHONY must be local, external or off, got "${mode}"`);
  if (mode === 'external' && !(env.ARI_URL && env.ARI_USER && env.ARI_PASSWORD)) {
    throw new Error('TELEPHONY=external needs ARI_URL, ARI_USER and ARI_PASSWORD');
  }
  return mode;
}

import type { DatabaseSync } from 'node:sqlite';
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { TrunkText } from './ari/sms-trunk.ts';
import type { Config } from './config.ts';
import type { ContactCenter } from './domain/contact-center.ts';
import { DomainError } from './domain/errors.ts';
import type { DomainEvents } from './domain/events.ts';
import { SmsDesk } from './domain/sms-desk.ts';
import { HttpSmsGateway } from './sms/http-gateway.ts';
import { inboundSipText, SipMessageGateway } from './sms/sip-message.ts';
import { smsWebhookRouter } from './sms/webhook.ts';
import { SqliteSmsStore } from './store/sqlite/sms-store.ts';
import type { WriteBatcher } from './store/sqlite/write-batcher.ts';
import type { Voice } from './voice.ts';

// Texts from the SMS trunk that arrive before the SMS desk exists (ARI comes up first) wait here.
export interface TrunkTexts {
  receive?: (text: TrunkText) => void;
  early: TrunkText[];
}

export interface Sms {
  desk: SmsDesk;
  webhook: Router;
  health(): ReturnType<typeof smsHealth>;
}

// SMS: texts to our numbers become chats (webhook, or SIP MESSAGE through Asterisk's SMS trunk);
// replies leave by the gateway the chat came in by.
export async function startSms(opts: {
  config: Config;
  logger: Logger;
  center: ContactCenter;
  events: DomainEvents;
  db: DatabaseSync;
  batcher: WriteBatcher;
  voice: Voice;
  texts: TrunkTexts;
}): Promise<Sms> {
  const { config, logger, voice, texts } = opts;
  const smsTrunk = voice.running?.smsTrunk ?? null;
  if (config.smsGatewayUrl && !config.smsWebhookSecret) logger.warn('SMS_GATEWAY_URL is set without SMS_WEBHOOK_SECRET: SMS replies cannot be signed and are not sent');
  const desk = new SmsDesk({
    center: opts.center,
    events: opts.events,
    store: new SqliteSmsStore(opts.db, opts.batcher),
    clock: { now: () => Date.now() },
    timers: {
      schedule(ms, fn) {
        const t = setTimeout(fn, ms);
        return { cancel: () => clearTimeout(t) };
      },
    },
    numbers: config.smsNumbers,
    partWaitMs: config.smsPartWaitMs,
    senders: {
      ...(config.smsGatewayUrl && config.smsWebhookSecret ? { webhook: new HttpSmsGateway({ url: config.smsGatewayUrl, secret: config.smsWebhookSecret }) } : {}),
      ...(smsTrunk ? { sip: new SipMessageGateway((text) => smsTrunk.send(voice.running!.connection.current(), text)) } : {}),
    },
    onError: (err, what) => logger.error({ err }, what),
  });
  await desk.recover();
  texts.receive = (text) => {
    const log = { from: text.from, to: text.to, callId: text.callId };
    let sms;
    try {
      sms = inboundSipText(text);
    } catch (err) {
      return logger.warn({ ...log, err }, 'refused a text from the SMS trunk');
    }
    desk.receive(sms).then(
      (result) => logger.info({ ...log, id: sms.id, status: result.status }, 'text from the SMS trunk'),
      (err: unknown) =>
        err instanceof DomainError ? logger.warn({ ...log, err }, 'refused a text from the SMS trunk') : logger.error({ ...log, err }, 'a text from the SMS trunk was not taken'),
    );
  };
  for (const text of texts.early.splice(0)) texts.receive(text);
  return {
    desk,
    webhook: smsWebhookRouter({ desk, secret: config.smsWebhookSecret }),
    health: () =>
      smsHealth({
        numbers: Object.keys(config.smsNumbers),
        webhook: { inbound: Boolean(config.smsWebhookSecret), outbound: Boolean(config.smsGatewayUrl && config.smsWebhookSecret) },
        sip: smsTrunk ? { trunk: smsTrunk.endpoint, ...smsTrunk.health(voice.health()) } : null,
      }),
  };
}

// Which SMS gateways are configured, and whether the SIP one (the trunk's ARI subscription) is up.
function smsHealth(s: { numbers: string[]; webhook: { inbound: boolean; outbound: boolean }; sip: { trunk: string; state: string; detail?: string } | null }) {
  const webhook = { state: s.webhook.inbound || s.webhook.outbound ? 'up' : 'not_configured', ...s.webhook };
  const sip = s.sip ?? { state: 'not_configured' };
  const configured = [webhook, sip].filter((g) => g.state !== 'not_configured');
  const down = configured.some((g) => g.state !== 'up');
  const state = configured.length === 0 ? 'not_configured' : down ? 'down' : 'up';
  return { state, ...(down ? { detail: 'SIP MESSAGE gateway not ready' } : {}), numbers: s.numbers, webhook, sip };
}

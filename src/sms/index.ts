// Entry point of the SMS adapter: texts to our numbers become chats (webhook, or SIP MESSAGE through
// Asterisk's SMS trunk); replies leave by the gateway the chat came in by. What a text means is the
// domain's SmsDesk; this folder only carries texts in and out.
import type { CountryCode } from 'libphonenumber-js';
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { AriApp } from '../ari/index.ts';
import { DomainError } from '../domain/errors.ts';
import type { SmsDesk } from '../domain/sms-desk.ts';
import type { SmsGatewayKind, SmsSender } from '../domain/sms-ports.ts';
import { HttpSmsGateway } from './http-gateway.ts';
import { inboundSipText, SipMessageGateway } from './sip-message.ts';
import { SmsTrunk, type TrunkText } from './sip-trunk.ts';
import { smsWebhookRouter } from './webhook.ts';

// The settings SMS reads (part of src/config.ts's Config).
export interface SmsConfig {
  smsWebhookSecret: string | undefined;
  smsGatewayUrl: string | undefined;
  smsNumbers: Record<string, string>; // our receiving numbers (E.164) and the service of each
  smsSipTrunk: string | undefined; // the PJSIP endpoint carrying texts; undefined: no SIP gateway
  smsSipCountry: CountryCode | undefined; // how its carrier's national numbers are read (trunk-numbers.ts)
}

export interface Sms {
  // The SmsDesk's ways out, one per configured gateway.
  readonly senders: Partial<Record<SmsGatewayKind, SmsSender>>;
  // The way in, once the desk exists: texts from the SIP trunk go to it (the trunk joins voice's Stasis
  // app, so this comes before voice connects). Returns the webhook's router, which feeds the same desk.
  connect(desk: SmsDesk): Router;
  health(): SmsHealth;
}

// Builds the gateways without sending or receiving anything. The SIP trunk needs voice's Stasis app;
// without voice there is no SIP gateway.
export function createSms(config: SmsConfig, logger: Logger, deps: { ari: AriApp | null }): Sms {
  const ari = deps.ari;
  const trunk = ari && config.smsSipTrunk ? new SmsTrunk({ endpoint: config.smsSipTrunk, app: ari.name, logger }) : null;
  const signed = Boolean(config.smsGatewayUrl && config.smsWebhookSecret);
  if (config.smsGatewayUrl && !config.smsWebhookSecret) logger.warn('SMS_GATEWAY_URL is set without SMS_WEBHOOK_SECRET: SMS replies cannot be signed and are not sent');
  return {
    senders: {
      ...(signed ? { webhook: new HttpSmsGateway({ url: config.smsGatewayUrl!, secret: config.smsWebhookSecret! }) } : {}),
      ...(ari && trunk ? { sip: new SipMessageGateway((text) => trunk.send(ari.current(), text)) } : {}),
    },
    connect(desk) {
      if (ari && trunk) {
        const onText = (text: TrunkText) => receiveTrunkText(desk, text, config.smsSipCountry, logger);
        ari.listen({ events: SmsTrunk.EVENTS, connected: (a) => trunk.subscribe(a), handle: (event) => trunk.handle(event, onText), stopping: (a) => trunk.unsubscribe(a) });
      }
      return smsWebhookRouter({ desk, secret: config.smsWebhookSecret });
    },
    health: () =>
      smsHealth({
        numbers: Object.keys(config.smsNumbers),
        webhook: { inbound: Boolean(config.smsWebhookSecret), outbound: signed },
        sip: ari && trunk ? { trunk: trunk.endpoint, ...trunk.health(ari.health()) } : null,
      }),
  };
}

// A refused text (not a number of ours, say) is the sender's problem and a warning; a text the desk
// could not take is ours and an error. The carrier was answered before: the desk tries it again.
function receiveTrunkText(desk: SmsDesk, text: TrunkText, country: CountryCode | undefined, logger: Logger): void {
  const log = { from: text.from, to: text.to, callId: text.callId };
  let sms;
  try {
    sms = inboundSipText(text, country);
  } catch (err) {
    return logger.warn({ ...log, err }, 'refused a text from the SMS trunk');
  }
  desk.receiveUnasked(sms).then(
    (result) => logger.info({ ...log, id: sms.id, status: result.status }, 'text from the SMS trunk'),
    (err: unknown) =>
      err instanceof DomainError ? logger.warn({ ...log, err }, 'refused a text from the SMS trunk') : logger.error({ ...log, err }, 'a text from the SMS trunk was not taken'),
  );
}

export type SmsHealth = ReturnType<typeof smsHealth>;

// Which SMS gateways are configured, and whether the SIP one (the trunk's ARI subscription) is up.
function smsHealth(s: { numbers: string[]; webhook: { inbound: boolean; outbound: boolean }; sip: { trunk: string; state: string; detail?: string } | null }) {
  const webhook = { state: s.webhook.inbound || s.webhook.outbound ? 'up' : 'not_configured', ...s.webhook };
  const sip = s.sip ?? { state: 'not_configured' };
  const configured = [webhook, sip].filter((g) => g.state !== 'not_configured');
  const down = configured.some((g) => g.state !== 'up');
  const state = configured.length === 0 ? 'not_configured' : down ? 'down' : 'up';
  return { state, ...(down ? { detail: 'SIP MESSAGE gateway not ready' } : {}), numbers: s.numbers, webhook, sip };
}

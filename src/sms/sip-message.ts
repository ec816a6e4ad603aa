import { createHash, randomUUID } from 'node:crypto';
import { invalid } from '../domain/errors.ts';
import { SmsSendRefused, type InboundSms, type OutboundSms, type SmsSender } from '../domain/sms-ports.ts';
import type { CountryCode } from 'libphonenumber-js';
import { AriHttpError } from '../ari/errors.ts';
import { E164 } from '../domain/limits.ts';
import { numberOfDigits } from './trunk-numbers.ts';

// SMS as SIP MESSAGE, through Asterisk's SMS trunk (asterisk-config/README.md, "Texts"). Inbound: a
// text the trunk received becomes an InboundSms for SmsDesk.receive(); outbound: an agent's reply is
// handed to `transmit`, which index.ts binds to the SMS trunk (sip-trunk.ts, the only file here that
// speaks ARI). One MESSAGE carries one whole text: splitting into SMS parts is the carrier's business.

// A received MESSAGE: From and To as printed by Asterisk ("Name" <sip:+15551234567@host>,
// pjsip:+15550009000@host, tel:+1-555-...), its body, and the request's Call-ID and CSeq.
export interface SipText {
  from: string;
  to: string;
  body: string;
  callId: string | null;
  cseq: string | null;
}

export type SipTransmit = (text: { id: string; from: string; to: string; body: string }) => Promise<void>;

export class SipMessageGateway implements SmsSender {
  readonly #transmit: SipTransmit;

  constructor(transmit: SipTransmit) {
    this.#transmit = transmit;
  }

  // Asterisk took the MESSAGE for the trunk (ARI answered 202). The carrier's own answer is not
  // reported back through ARI, so "accepted" is as far as a SIP reply's status goes.
  async send(sms: OutboundSms): Promise<{ status: string }> {
    try {
      await this.#transmit({ id: sms.id, from: sms.from, to: sms.to, body: sms.text });
    } catch (err) {
      const why = `SIP MESSAGE not sent: ${(err as Error).message}`;
      // Asterisk refused the request itself (no such trunk, a bad address): sending it again would not help.
      if (err instanceof AriHttpError && err.status >= 400 && err.status < 500) throw new SmsSendRefused(why, { cause: err });
      throw new Error(why, { cause: err });
    }
    return { status: 'accepted' };
  }
}

// The text as SmsDesk takes it. Its id is derived from Call-ID and CSeq, so the same request delivered
// twice is one text; without them every text is new.
// `country`: SMS_SIP_COUNTRY, how the carrier's national numbers are read (trunk-numbers.ts).
export function inboundSipText(text: SipText, country?: CountryCode): InboundSms {
  const from = numberOfSipUri(text.from, country);
  if (!from) throw invalid('invalid_number', `The sender of a SIP MESSAGE is not a phone number${country ? '' : ' (a national number needs SMS_SIP_COUNTRY)'}: ${text.from}`);
  const to = numberOfSipUri(text.to, country);
  if (!to) throw invalid('invalid_number', `The recipient of a SIP MESSAGE is not a phone number: ${text.to}`);
  const key = text.callId && text.cseq ? `${text.callId}\n${text.cseq}` : randomUUID();
  const id = `sip-${createHash('sha256').update(`${from}\n${key}`).digest('hex').slice(0, 40)}`;
  return { id, from, to, text: text.body, gateway: 'sip' };
}

// The E.164 number a SIP or tel URI names, or null: "+15551234567", or digits without the plus, read
// by numberOfDigits (international, or national numbers of `country`); separators of tel URIs
// ("+1-555-123-4567"), spaces and %-escapes are allowed. A local number is completed by its phone-context
// ("5551234;phone-context=+1212" is +12125551234); one whose context is a domain is refused. Other URI
// parameters are ignored. A quoted display name is never read as the address.
export function numberOfSipUri(value: string, country?: CountryCode): string | null {
  let uri = value.trim().replace(/^"(?:[^"\\]|\\.)*"/, '');
  const bracket = /<([^>]*)>/.exec(uri);
  if (bracket) uri = bracket[1]!;
  // Asterisk writes the To of a received MESSAGE as pjsip:<user>@<host> (and pjsip:tel:... for tel URIs).
  uri = uri.replace(/^pjsip:(?=tel:)/i, '').replace(/^pj(?=sips?:)/i, '');
  const scheme = /^(?:sips?|tel):/i.exec(uri);
  if (!scheme) return null;
  let user = uri.slice(scheme[0].length).split('@')[0]!;
  const [number, ...params] = user.split(';');
  const context = params.find((p) => /^phone-context=/i.test(p))?.slice('phone-context='.length);
  user = number!;
  try {
    user = decodeURIComponent(user);
  } catch {
    return null;
  }
  user = user.replace(/[-.()\s]/g, '');
  if (context !== undefined && !user.startsWith('+')) {
    const prefix = context.replace(/[-.()]/g, '');
    if (!/^\+[0-9]+$/.test(prefix)) return null; // a domain's local number: not one we can reach
    user = prefix + user;
  }
  if (/^[0-9]{1,17}$/.test(user)) return numberOfDigits(user, country);
  return E164.test(user) ? user : null;
}

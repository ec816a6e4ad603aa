import { createHash, randomUUID } from 'node:crypto';
import { invalid } from '../domain/errors.ts';
import type { InboundSms, OutboundSms, SmsSender } from '../domain/sms-ports.ts';

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

export type SipTransmit = (text: { from: string; to: string; body: string }) => Promise<void>;

export class SipMessageGateway implements SmsSender {
  readonly #transmit: SipTransmit;

  constructor(transmit: SipTransmit) {
    this.#transmit = transmit;
  }

  // Asterisk took the MESSAGE for the trunk (ARI answered 202). The carrier's own answer is not
  // reported back through ARI, so "accepted" is as far as a SIP reply's status goes.
  async send(sms: OutboundSms): Promise<{ status: string }> {
    try {
      await this.#transmit({ from: sms.from, to: sms.to, body: sms.text });
    } catch (err) {
      throw new Error(`SIP MESSAGE not sent: ${(err as Error).message}`, { cause: err });
    }
    return { status: 'accepted' };
  }
}

// The text as SmsDesk takes it. Its id is derived from Call-ID and CSeq, so the same request delivered
// twice is one text; without them every text is new.
export function inboundSipText(text: SipText): InboundSms {
  const from = numberOfSipUri(text.from);
  if (!from) throw invalid('invalid_number', `The sender of a SIP MESSAGE is not a phone number: ${text.from}`);
  const to = numberOfSipUri(text.to);
  if (!to) throw invalid('invalid_number', `The recipient of a SIP MESSAGE is not a phone number: ${text.to}`);
  const key = text.callId && text.cseq ? `${text.callId}\n${text.cseq}` : randomUUID();
  const id = `sip-${createHash('sha256').update(`${from}\n${key}`).digest('hex').slice(0, 40)}`;
  return { id, from, to, text: text.body, gateway: 'sip' };
}

// The E.164 number a SIP or tel URI names, or null. Numbers must be international: "+15551234567",
// or the same digits without the plus (carriers often leave it out); separators of tel URIs
// ("+1-555-123-4567") and %-escapes are allowed, URI parameters are ignored.
export function numberOfSipUri(value: string): string | null {
  let uri = value.trim();
  const bracket = /<([^>]*)>/.exec(uri);
  if (bracket) uri = bracket[1]!;
  // Asterisk writes the To of a received MESSAGE as pjsip:<user>@<host> (and pjsip:tel:... for tel URIs).
  uri = uri.replace(/^pjsip:(?=tel:)/i, '').replace(/^pj(?=sips?:)/i, '');
  const scheme = /^(?:sips?|tel):/i.exec(uri);
  if (!scheme) return null;
  let user = uri.slice(scheme[0].length);
  user = user.split('@')[0]!.split(';')[0]!;
  try {
    user = decodeURIComponent(user);
  } catch {
    return null;
  }
  user = user.replace(/[-.()]/g, '');
  if (/^[1-9][0-9]{6,14}$/.test(user)) user = `+${user}`;
  return /^\+[1-9][0-9]{6,14}$/.test(user) ? user : null;
}

import type { Logger } from 'pino';
import { sendText, type Ari, type AriEvent } from '../ari/index.ts';

// Texts (SIP MESSAGE) through Asterisk's SMS trunk endpoint (asterisk-config/pjsip.conf, sms-trunk).
// Texts the trunk receives reach no dialplan: the controller's ARI application subscribes to the
// endpoint after every (re)connect and gets each one as a TextMessageReceived event. Replies leave
// through ARI sendMessage to pjsip:PJSIP/<E.164>@<trunk>. What a text means (numbers, chats) is
// decided elsewhere: this file only speaks ARI.

// A text as the trunk received it: From and To as Asterisk printed them (To with the "pjsip:" prefix
// Asterisk adds), the body, and the request's Call-ID and CSeq (the same request delivered again
// carries the same ones).
export interface TrunkText {
  from: string;
  to: string;
  body: string;
  callId: string | null;
  cseq: string | null;
  receivedAt: string | null;
}

export interface OutgoingTrunkText {
  // The reply's own id, the same on every send of it: sent as the MESSAGE's X-SMS-Id header, so a carrier
  // can tell a resend (after a restart, or an ARI answer lost on the way) from a new text.
  id: string;
  from: string; // our number
  to: string; // the customer's number, E.164
  body: string;
}

// Asterisk sends the variables of an out-of-call message as SIP headers.
export const SMS_ID_HEADER = 'X-SMS-Id';

export type TrunkHealth = { state: 'up' | 'down' | 'connecting'; detail?: string };

export class SmsTrunk {
  static readonly EVENTS = ['TextMessageReceived'] as const; // what handle() takes
  readonly endpoint: string;
  readonly #app: string;
  readonly #logger: Logger;
  #health: TrunkHealth = { state: 'connecting' };

  constructor(opts: { endpoint: string; app: string; logger: Logger }) {
    if (!/^[A-Za-z0-9_.-]+$/.test(opts.endpoint)) throw new Error(`SMS trunk: "${opts.endpoint}" is not a PJSIP endpoint name`);
    this.endpoint = opts.endpoint;
    this.#app = opts.app;
    this.#logger = opts.logger;
  }

  get eventSource(): string {
    return `endpoint:PJSIP/${this.endpoint}`;
  }

  // After every (re)connect: Asterisk forgets subscriptions when it restarts (and keeps them over a
  // mere reconnect: subscribing again would only count them twice). A trunk that cannot be subscribed
  // to (not configured in that Asterisk) leaves voice working; health() says why.
  async subscribe(ari: Ari): Promise<void> {
    try {
      const app = await ari.applications.get({ applicationName: this.#app });
      if (!app.endpoint_ids?.includes(`PJSIP/${this.endpoint}`)) {
        await ari.applications.subscribe({ applicationName: this.#app, eventSource: this.eventSource });
      }
      this.#health = { state: 'up' };
    } catch (err) {
      const detail = `cannot subscribe to ${this.eventSource}: ${(err as Error).message}`;
      this.#health = { state: 'down', detail };
      this.#logger.error({ err, endpoint: this.endpoint }, 'SMS trunk unavailable: texts to it are refused by Asterisk (404)');
    }
  }

  // On a planned stop. A subscription outlives the application's connection, and Asterisk accepts
  // (202) and drops texts for a subscribed application that is not connected; without one it refuses
  // them (404) and the carrier keeps them.
  async unsubscribe(ari: Ari, timeoutMs = 2000): Promise<void> {
    try {
      await Promise.race([
        ari.applications.unsubscribe({ applicationName: this.#app, eventSource: this.eventSource }),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
      ]);
      this.#health = { state: 'down', detail: 'stopped' };
    } catch (err) {
      this.#logger.warn({ err, endpoint: this.endpoint }, 'could not unsubscribe from the SMS trunk: Asterisk accepts and drops its texts until the controller is back');
    }
  }

  // Takes TextMessageReceived events (true), passing those of this trunk on to `onText`.
  handle(event: AriEvent, onText: (text: TrunkText) => void): boolean {
    if (event.type !== 'TextMessageReceived') return false;
    const text = trunkTextOf(event, this.endpoint);
    if (text) onText(text);
    else this.#logger.warn({ endpoint: event.endpoint?.resource }, 'ignored a text from another endpoint than the SMS trunk');
    return true;
  }

  send(ari: Ari, text: OutgoingTrunkText): Promise<void> {
    return sendText(ari, { to: `pjsip:PJSIP/${text.to}@${this.endpoint}`, from: text.from, body: text.body, variables: { [SMS_ID_HEADER]: text.id } });
  }

  health(ari: { state: string; detail?: string }): TrunkHealth {
    if (ari.state !== 'up') return { state: ari.state === 'connecting' ? 'connecting' : 'down', detail: `ARI ${ari.state}` };
    return this.#health;
  }
}

export function trunkTextOf(event: AriEvent, endpoint: string): TrunkText | null {
  const m = event.message;
  if (event.type !== 'TextMessageReceived' || !m) return null;
  if (event.endpoint?.technology !== 'PJSIP' || event.endpoint.resource !== endpoint) return null;
  const headers = m.variables ?? {};
  return {
    from: m.from,
    to: m.to,
    body: m.body ?? '',
    callId: header(headers, 'Call-ID'),
    cseq: header(headers, 'CSeq'),
    receivedAt: event.timestamp ?? null,
  };
}

function header(headers: Record<string, string>, name: string): string | null {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key ? (headers[key] ?? null) : null;
}

import type { OutboundSms, SmsSender } from '../domain/sms-ports.ts';
import { sign } from './signature.ts';

export interface HttpSmsGatewayOptions {
  url: string;
  secret: string;
  timeoutMs?: number;
}

// Sends agent replies to an HTTP SMS gateway: POST {id, from, to, text, segments} as JSON to the
// gateway's URL, signed like the webhook (X-Signature: sha256=<hex HMAC of the body>). A 2xx answer
// may carry {"status": "..."}; without one the gateway is taken to have accepted the text. Any other
// answer, or no answer within the timeout, is a failed send.
export class HttpSmsGateway implements SmsSender {
  readonly #url: string;
  readonly #secret: string;
  readonly #timeoutMs: number;

  constructor(opts: HttpSmsGatewayOptions) {
    this.#url = new URL(opts.url).toString();
    this.#secret = opts.secret;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async send(sms: OutboundSms): Promise<{ status: string }> {
    const body = JSON.stringify({ id: sms.id, from: sms.from, to: sms.to, text: sms.text, segments: sms.segments });
    let res: Response;
    try {
      res = await fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-signature': sign(this.#secret, body) },
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const why = e.name === 'TimeoutError' ? `no answer within ${this.#timeoutMs} ms` : (e.cause?.code ?? e.message);
      throw new Error(`SMS gateway unreachable: ${why}`, { cause: err });
    }
    const answer = await res.text();
    if (!res.ok) throw new Error(`SMS gateway answered HTTP ${res.status}${answer ? `: ${answer.slice(0, 200)}` : ''}`);
    try {
      const parsed: unknown = JSON.parse(answer);
      const status = (parsed as { status?: unknown } | null)?.status;
      if (typeof status === 'string' && status) return { status };
    } catch {
      // Not JSON: a 2xx is still an acceptance.
    }
    return { status: 'accepted' };
  }
}

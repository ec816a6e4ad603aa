import { SmsSendRefused, type OutboundSms, type SmsSender } from '../domain/sms-ports.ts';
import { sign } from './signature.ts';

export interface HttpSmsGatewayOptions {
  url: string;
  secret: string;
  timeoutMs?: number;
}

// Sends agent replies to an HTTP SMS gateway: POST {id, from, to, text, segments} as JSON to the
// gateway's URL, signed like the webhook (X-Signature: sha256=<hex HMAC of the body>). A 2xx answer
// may carry {"status": "..."}; without one the gateway is taken to have accepted the text. A 4xx is a
// refusal of the text; a 5xx, a 408 or 429, or no answer within the timeout may pass (tried again).
export class HttpSmsGateway implements SmsSender {
  readonly #url: string;
  readonly #authorization: Record<string, string>;
  readonly #secret: string;
  readonly #timeoutMs: number;

  constructor(opts: HttpSmsGatewayOptions) {
    // Credentials in the URL (https://user:key@gateway/send) go as Basic authorization: fetch refuses
    // such a URL, and its error, which names the URL, would be shown to agents as the reply's failure.
    const url = parseUrl(opts.url);
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    this.#authorization = user || password ? { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } : {};
    url.username = '';
    url.password = '';
    this.#url = url.toString();
    this.#secret = opts.secret;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async send(sms: OutboundSms): Promise<{ status: string }> {
    const body = JSON.stringify({ id: sms.id, from: sms.from, to: sms.to, text: sms.text, segments: sms.segments });
    let res: Response;
    try {
      res = await fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-signature': sign(this.#secret, body), ...this.#authorization },
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
        // Followed, a redirect would turn the POST into a GET without the text, which a gateway could
        // answer 200: the reply shown as accepted, never sent.
        redirect: 'manual',
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      // Never the error's own text: it may name the URL. Its code, or its kind.
      const why = e.name === 'TimeoutError' ? `no answer within ${this.#timeoutMs} ms` : (e.cause?.code ?? e.name);
      throw new Error(`SMS gateway unreachable: ${why}`, { cause: err });
    }
    if (res.status >= 300 && res.status < 400) {
      const to = URL.parse(res.headers.get('location') ?? '', this.#url);
      throw new Error(`SMS gateway redirected (HTTP ${res.status})${to ? ` to ${to.origin}${to.pathname}` : ''}: set SMS_GATEWAY_URL to where it sends`);
    }
    const answer = await res.text();
    const why = `SMS gateway answered HTTP ${res.status}${answer ? `: ${answer.slice(0, 200)}` : ''}`;
    // A 4xx other than "too many" is about the text: it would be refused again. The rest may pass.
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new SmsSendRefused(why);
    if (!res.ok) throw new Error(why);
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

// Without the URL in the error (a TypeError's own `input` holds it, credentials and all, and a start-up
// failure is printed whole).
function parseUrl(url: string): URL {
  const parsed = URL.parse(url);
  if (!parsed) throw new Error('SMS_GATEWAY_URL is not a valid URL (it is not repeated here: it may hold credentials).');
  return parsed;
}

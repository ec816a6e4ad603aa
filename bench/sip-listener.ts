// bench:snoop's supervisor phone: a minimal SIP phone over UDP (node:dgram) that registers with digest
// authentication, answers every INVITE at once with PCMU, and notes when the first audible RTP packet
// of each call arrives: the moment its user would hear something. It sends nothing: a listener.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { digest } from '../test/helpers/raw-sip.ts';

const rand = () => randomBytes(6).toString('hex');

interface SipMessage {
  first: string;
  headers: Map<string, string>;
}

function parse(text: string): SipMessage {
  const lines = (text.split('\r\n\r\n')[0] ?? '').split('\r\n');
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { first: lines[0] ?? '', headers };
}

// PCMU silence is 0xFF / 0x7F (and their neighbours): a packet with anything louder is heard.
const audible = (rtp: Buffer) => rtp.subarray(12).some((b) => (b & 0x7f) < 0x70);

export class SipListener {
  readonly #sip: Socket;
  readonly #rtp: Socket;
  readonly #asteriskPort: number;
  readonly #user: string;
  #heard: ((at: number) => void) | null = null;

  private constructor(sip: Socket, rtp: Socket, asteriskPort: number, user: string) {
    this.#sip = sip;
    this.#rtp = rtp;
    this.#asteriskPort = asteriskPort;
    this.#user = user;
    sip.on('message', (buf) => this.onSip(buf.toString()));
    rtp.on('message', (buf) => {
      if (!this.#heard || !audible(buf)) return;
      this.#heard(performance.now());
      this.#heard = null;
    });
  }

  static async start(opts: { user: string; password: string; asteriskSipPort: number }): Promise<SipListener> {
    const bind = async () => {
      const s = createSocket('udp4');
      await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
      return s;
    };
    const phone = new SipListener(await bind(), await bind(), opts.asteriskSipPort, opts.user);
    await phone.register(opts.password);
    return phone;
  }

  // Resolves with performance.now() when the next audible packet arrives (register before acting).
  nextAudio(timeoutMs = 10_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no audio at the supervisor's phone within ${timeoutMs} ms`)), timeoutMs);
      this.#heard = (at) => {
        clearTimeout(timer);
        resolve(at);
      };
    });
  }

  stop(): void {
    this.#sip.close();
    this.#rtp.close();
  }

  private get local(): number {
    return this.#sip.address().port;
  }

  private send(lines: string[], body = ''): void {
    const text = [...lines, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
    this.#sip.send(text, this.#asteriskPort, '127.0.0.1');
  }

  private register(password: string): Promise<void> {
    const callId = `${rand()}@listener`;
    const uri = `sip:127.0.0.1:${this.#asteriskPort}`;
    let cseq = 0;
    const request = (authorization?: string) =>
      this.send([
        `REGISTER ${uri} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${this.local};branch=z9hG4bK${rand()};rport`,
        'Max-Forwards: 70',
        `From: <sip:${this.#user}@127.0.0.1>;tag=${rand()}`,
        `To: <sip:${this.#user}@127.0.0.1>`,
        `Call-ID: ${callId}`,
        `CSeq: ${++cseq} REGISTER`,
        `Contact: <sip:${this.#user}@127.0.0.1:${this.local}>`,
        'Expires: 3600',
        ...(authorization ? [`Authorization: ${authorization}`] : []),
      ]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the supervisor phone did not register')), 5000);
      this.#registering = (status, challenge) => {
        if (status === 401 && challenge && cseq === 1) return request(digest(challenge, { username: this.#user, password }, uri, 'REGISTER'));
        clearTimeout(timer);
        this.#registering = null;
        if (status === 200) resolve();
        else reject(new Error(`REGISTER answered ${status}`));
      };
      request();
    });
  }

  #registering: ((status: number, challenge: string | undefined) => void) | null = null;

  private onSip(text: string): void {
    const m = parse(text);
    const status = /^SIP\/2\.0 (\d{3})/.exec(m.first);
    if (status) {
      if (m.headers.get('cseq')?.endsWith('REGISTER')) this.#registering?.(Number(status[1]), m.headers.get('www-authenticate'));
      return;
    }
    const method = m.first.split(' ')[0];
    if (method === 'ACK') return;
    const h = (name: string) => m.headers.get(name) ?? '';
    const common = [`Via: ${h('via')}`, `From: ${h('from')}`, `Call-ID: ${h('call-id')}`, `CSeq: ${h('cseq')}`];
    if (method !== 'INVITE') return this.send(['SIP/2.0 200 OK', ...common, `To: ${h('to')}`]);
    const sdp = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${this.#rtp.address().port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', 'a=ptime:20', 'a=sendrecv', ''].join('\r\n');
    this.send(['SIP/2.0 200 OK', ...common, `To: ${h('to')};tag=${rand()}`, `Contact: <sip:${this.#user}@127.0.0.1:${this.local}>`, 'Content-Type: application/sdp'], sdp);
  }
}

// Hand-made SIP over UDP (node:dgram), for probing what Asterisk answers to requests nobody authorised.
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';

export interface SipResponse {
  status: number;
  reason: string;
  headers: Map<string, string>;
}

export interface InviteProbe {
  to: string; // user part of the Request-URI, e.g. "+15551230031", "echo"
  fromUser: string; // who the request claims to be
  credentials?: { username: string; password: string }; // answer the challenge with these
}

export interface ProbeResult extends InviteProbe {
  responses: SipResponse[];
  final: SipResponse | undefined;
}

const rand = () => randomBytes(6).toString('hex');
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

// Sends one INVITE per probe to 127.0.0.1:port and collects what comes back within `waitMs`. A 401/407
// is answered once with the probe's credentials (when given); every final response is ACKed.
export async function probeInvites(port: number, probes: InviteProbe[], waitMs = 2000): Promise<ProbeResult[]> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const local = socket.address().port;
  const results = probes.map((p) => ({ ...p, callId: `${rand()}@probe`, tag: rand(), cseq: 1, branch: '', responses: [] as SipResponse[], final: undefined as SipResponse | undefined, retried: false }));
  const byCallId = new Map(results.map((r) => [r.callId, r]));
  const send = (r: (typeof results)[number], authorization?: string) => {
    r.branch = `z9hG4bK${rand()}`;
    socket.send(invite(port, local, r, authorization), port, '127.0.0.1');
  };
  socket.on('message', (buf) => {
    const res = parse(buf.toString());
    const r = res && byCallId.get(res.headers.get('call-id') ?? '');
    if (!res || !r) return;
    r.responses.push(res);
    if (res.status < 200) return;
    socket.send(ack(port, local, r, res.headers.get('to') ?? ''), port, '127.0.0.1');
    const challenge = res.headers.get('www-authenticate') ?? res.headers.get('proxy-authenticate');
    if ((res.status === 401 || res.status === 407) && r.credentials && !r.retried && challenge) {
      r.retried = true;
      r.cseq += 1;
      send(r, digest(challenge, r.credentials, `sip:${r.to}@127.0.0.1:${port}`));
      return;
    }
    r.final = res;
  });
  for (const r of results) send(r);
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  socket.close();
  return results.map(({ to, fromUser, credentials, responses, final }) => ({ to, fromUser, credentials, responses, final }));
}

type Dialog = { to: string; fromUser: string; callId: string; tag: string; cseq: number; branch: string };

function invite(port: number, local: number, d: Dialog, authorization?: string): string {
  const sdp = ['v=0', `o=- 1 1 IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', ''].join('\r\n');
  return [
    `INVITE sip:${d.to}@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=${d.branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:${d.fromUser}@127.0.0.1>;tag=${d.tag}`,
    `To: <sip:${d.to}@127.0.0.1:${port}>`,
    `Call-ID: ${d.callId}`,
    `CSeq: ${d.cseq} INVITE`,
    `Contact: <sip:${d.fromUser}@127.0.0.1:${local}>`,
    ...(authorization ? [`Authorization: ${authorization}`] : []),
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ].join('\r\n');
}

function ack(port: number, local: number, d: Dialog, toHeader: string): string {
  return [
    `ACK sip:${d.to}@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=${d.branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:${d.fromUser}@127.0.0.1>;tag=${d.tag}`,
    `To: ${toHeader}`,
    `Call-ID: ${d.callId}`,
    `CSeq: ${d.cseq} ACK`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

// The Authorization answer to a digest challenge (qop=auth), for `method` on `uri`.
export function digest(challenge: string, creds: { username: string; password: string }, uri: string, method = 'INVITE'): string {
  const param = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(challenge)?.[1] ?? '';
  const realm = param('realm');
  const nonce = param('nonce');
  const opaque = param('opaque');
  const cnonce = rand();
  const ha1 = md5(`${creds.username}:${realm}:${creds.password}`);
  const ha2 = md5(`${method}:${uri}`);
  const response = md5(`${ha1}:${nonce}:00000001:${cnonce}:auth:${ha2}`);
  return `Digest username="${creds.username}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="${cnonce}"${opaque ? `, opaque="${opaque}"` : ''}`;
}

function parse(text: string): SipResponse | undefined {
  const [head] = text.split('\r\n\r\n');
  const lines = (head ?? '').split('\r\n');
  const m = /^SIP\/2\.0 (\d{3}) (.*)$/.exec(lines[0] ?? '');
  if (!m) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(m[1]), reason: m[2] ?? '', headers };
}

// A minimal WebRTC peer for the video benchmark, just enough to make mediasoup send and receive media on
// 127.0.0.1 without a browser: an ICE connectivity check (STUN Binding with the transport's ufrag and
// password), a DTLS 1.2 handshake with use_srtp done by `openssl s_client` through a UDP relay (so it comes
// from the checked address), and SRTP (AES_CM_128_HMAC_SHA1_80) for the synthetic VP8 it sends. A
// receiving peer closes its socket once connected: mediasoup keeps sending (3.8 has no consent checks) and
// the kernel drops the packets, so nothing on the client side competes with the worker for the CPU.
import { spawn } from 'node:child_process';
import { createCipheriv, createHmac, randomBytes, X509Certificate } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

export interface TransportInfo {
  id: string;
  iceParameters: Record<string, unknown>;
  iceCandidates: Record<string, unknown>[];
  dtlsParameters: Record<string, unknown>;
}

export interface PeerCert {
  certFile: string;
  keyFile: string;
  /** What the SFU's connectTransport() wants: our certificate's SHA-256 fingerprint, we are the DTLS client. */
  dtlsParameters: { role: 'client'; fingerprints: { algorithm: 'sha-256'; value: string }[] };
}

/** One self-signed ECDSA certificate for every peer of the run. */
export function makeCert(): PeerCert {
  const dir = mkdtempSync(join(tmpdir(), 'bench-video-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=bench'], { stdio: 'ignore' });
  const value = new X509Certificate(readFileSync(certFile)).fingerprint256;
  return { certFile, keyFile, dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value }] } };
}

// ---- STUN (RFC 5389 / 8445) ------------------------------------------------------------------------

const MAGIC = 0x2112a442;

function attribute(type: number, value: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16BE(type, 0);
  header.writeUInt16BE(value.length, 2);
  const pad = Buffer.alloc((4 - (value.length % 4)) % 4);
  return Buffer.concat([header, value, pad]);
}

/** A Binding request as an ICE controlling agent nominating this pair (USE-CANDIDATE). */
export function bindingRequest(remoteUfrag: string, remotePassword: string): Buffer {
  const priority = Buffer.alloc(4);
  priority.writeUInt32BE(0x6e0001ff);
  const attrs = Buffer.concat([
    attribute(0x0006, Buffer.from(`${remoteUfrag}:${randomBytes(4).toString('hex')}`)), // USERNAME
    attribute(0x0024, priority), // PRIORITY
    attribute(0x802a, randomBytes(8)), // ICE-CONTROLLING
    attribute(0x0025, Buffer.alloc(0)), // USE-CANDIDATE
  ]);
  const header = Buffer.alloc(20);
  header.writeUInt16BE(0x0001, 0);
  header.writeUInt32BE(MAGIC, 4);
  randomBytes(12).copy(header, 8);
  // MESSAGE-INTEGRITY covers everything before it, with the length counting it in.
  header.writeUInt16BE(attrs.length + 24, 2);
  const mac = createHmac('sha1', remotePassword).update(Buffer.concat([header, attrs])).digest();
  const withMi = Buffer.concat([attrs, attribute(0x0008, mac)]);
  header.writeUInt16BE(withMi.length + 8, 2);
  const fp = Buffer.alloc(4);
  fp.writeUInt32BE((crc32(Buffer.concat([header, withMi])) ^ 0x5354554e) >>> 0);
  return Buffer.concat([header, withMi, attribute(0x8028, fp)]);
}

const isStun = (msg: Buffer) => msg.length >= 20 && msg[0]! < 2 && msg.readUInt32BE(4) === MAGIC;

// ---- SRTP (RFC 3711), AES_CM_128_HMAC_SHA1_80 --------------------------------------------------------

function aesCm(key: Buffer, iv: Buffer, length: number): Buffer {
  const c = createCipheriv('aes-128-ctr', key, iv);
  return Buffer.concat([c.update(Buffer.alloc(length)), c.final()]);
}

function deriveKey(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0);
  iv[7]! ^= label;
  return aesCm(masterKey, iv, length);
}

export class SrtpSender {
  readonly #key: Buffer;
  readonly #salt: Buffer;
  readonly #auth: Buffer;
  readonly #roc = new Map<number, { roc: number; last: number }>();

  constructor(masterKey: Buffer, masterSalt: Buffer) {
    this.#key = deriveKey(masterKey, masterSalt, 0, 16);
    this.#auth = deriveKey(masterKey, masterSalt, 1, 20);
    this.#salt = deriveKey(masterKey, masterSalt, 2, 14);
  }

  /** Encrypts one RTP packet (12-byte header, no CSRC, no extension) and appends its 80-bit tag. */
  protect(rtp: Buffer): Buffer {
    const ssrc = rtp.readUInt32BE(8);
    const seq = rtp.readUInt16BE(2);
    const state = this.#roc.get(ssrc) ?? { roc: 0, last: seq };
    if (seq < state.last && state.last - seq > 0x8000) state.roc += 1;
    state.last = seq;
    this.#roc.set(ssrc, state);
    const iv = Buffer.alloc(16);
    this.#salt.copy(iv, 0);
    for (let i = 0; i < 4; i++) iv[4 + i]! ^= rtp[8 + i]!;
    const index = Buffer.alloc(6);
    index.writeUInt32BE(state.roc, 0);
    index.writeUInt16BE(seq, 4);
    for (let i = 0; i < 6; i++) iv[8 + i]! ^= index[i]!;
    const payload = rtp.subarray(12);
    const c = createCipheriv('aes-128-ctr', this.#key, iv);
    const encrypted = Buffer.concat([rtp.subarray(0, 12), c.update(payload), c.final()]);
    const roc = Buffer.alloc(4);
    roc.writeUInt32BE(state.roc);
    const tag = createHmac('sha1', this.#auth).update(encrypted).update(roc).digest().subarray(0, 10);
    return Buffer.concat([encrypted, tag]);
  }
}

// ---- ICE + DTLS ---------------------------------------------------------------------------------------

export interface ConnectedPeer {
  /** The socket mediasoup now talks to (open only for a sending peer). */
  socket: Socket;
  remote: { address: string; port: number };
  /** Our SRTP sender, keyed from the DTLS handshake (client write key and salt). */
  srtp: SrtpSender;
}

function udpCandidate(info: TransportInfo): { address: string; port: number } {
  const c = info.iceCandidates.find((x) => x.protocol === 'udp');
  if (!c) throw new Error(`transport ${info.id} has no UDP candidate`);
  return { address: String(c.ip ?? c.address), port: Number(c.port) };
}

function bind(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

/**
 * Connects to a mediasoup WebRtcTransport (whose connect() already got `cert.dtlsParameters`): ICE check,
 * then DTLS-SRTP. `keep`: leave the socket open (to send media); otherwise it is closed once connected.
 */
export async function connectPeer(info: TransportInfo, cert: PeerCert, keep: boolean, timeoutMs = 10_000): Promise<ConnectedPeer> {
  const remote = udpCandidate(info);
  const ice = info.iceParameters as { usernameFragment: string; password: string };
  const socket = await bind();
  const relay = await bind();
  let openssl: ReturnType<typeof spawn> | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<ConnectedPeer>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`ICE/DTLS with transport ${info.id} timed out`)), timeoutMs);
      let client: { address: string; port: number } | undefined;
      const request = bindingRequest(ice.usernameFragment, ice.password);
      const retry = setInterval(() => socket.send(request, remote.port, remote.address), 200);
      socket.send(request, remote.port, remote.address);
      socket.on('message', (msg, rinfo) => {
        if (rinfo.port !== remote.port) return; // another transport, still sending to a port reused since
        if (isStun(msg)) {
          if (msg.readUInt16BE(0) !== 0x0101 || openssl) return; // a success answer, once
          clearInterval(retry);
          openssl = spawn('openssl', [
            's_client', '-dtls1_2', '-connect', `127.0.0.1:${relay.address().port}`,
            '-cert', cert.certFile, '-key', cert.keyFile,
            '-use_srtp', 'SRTP_AES128_CM_SHA1_80',
            '-keymatexport', 'EXTRACTOR-dtls_srtp', '-keymatexportlen', '60',
          ], { stdio: ['pipe', 'pipe', 'pipe'] });
          let out = '';
          openssl.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
            out += chunk;
            const m = /Keying material:\s*([0-9A-Fa-f]{120})/.exec(out);
            if (!m) return;
            const km = Buffer.from(m[1]!, 'hex');
            // RFC 5764: client key, server key, client salt, server salt.
            resolve({ socket, remote, srtp: new SrtpSender(km.subarray(0, 16), km.subarray(32, 46)) });
          });
          openssl.once('exit', (code) => reject(new Error(`openssl s_client exited (${code}) before the handshake ended:\n${out.slice(-500)}`)));
          return;
        }
        if (client) relay.send(msg, client.port, client.address); // DTLS from mediasoup to openssl
      });
      relay.on('message', (msg, rinfo) => {
        if (msg[0]! < 20 || msg[0]! > 63) return; // DTLS records only (not media sent to a reused port)
        client = { address: rinfo.address, port: rinfo.port };
        socket.send(msg, remote.port, remote.address); // DTLS from openssl to mediasoup
      });
      socket.once('close', () => clearInterval(retry));
    });
  } finally {
    clearTimeout(timer);
    openssl?.removeAllListeners('exit');
    openssl?.kill('SIGKILL'); // no close_notify: mediasoup's side stays connected
    relay.close();
    socket.removeAllListeners('message');
    if (keep) socket.on('message', () => {}); // RTCP from mediasoup: read and dropped
    else socket.close();
  }
}

// ---- synthetic VP8 ------------------------------------------------------------------------------------

/**
 * A camera-like VP8 stream: `fps` frames a second of `packetsPerFrame` packets of `payloadBytes`, a key
 * frame every second. Payload descriptors as browsers send them (X, I, 15-bit picture id), so mediasoup
 * sees the key frames its consumers wait for.
 */
export class Vp8Stream {
  readonly ssrc: number;
  readonly payloadType: number;
  #seq = Math.floor(Math.random() * 0x7fff);
  #timestamp = Math.floor(Math.random() * 0x7fffffff);
  #picture = 0;
  readonly #fill: Buffer;

  constructor(opts: { ssrc: number; payloadType: number; payloadBytes: number }) {
    this.ssrc = opts.ssrc;
    this.payloadType = opts.payloadType;
    this.#fill = randomBytes(opts.payloadBytes);
  }

  frame(packetsPerFrame: number, keyFrame: boolean): Buffer[] {
    const packets: Buffer[] = [];
    this.#picture = (this.#picture + 1) & 0x7fff;
    this.#timestamp = (this.#timestamp + 3000) >>> 0; // 90 kHz / 30 fps
    for (let i = 0; i < packetsPerFrame; i++) {
      const header = Buffer.alloc(12);
      header[0] = 0x80;
      header[1] = (i === packetsPerFrame - 1 ? 0x80 : 0) | this.payloadType;
      this.#seq = (this.#seq + 1) & 0xffff;
      header.writeUInt16BE(this.#seq, 2);
      header.writeUInt32BE(this.#timestamp, 4);
      header.writeUInt32BE(this.ssrc, 8);
      const descriptor = Buffer.from([0x80 | (i === 0 ? 0x10 : 0), 0x80, 0x80 | (this.#picture >> 8), this.#picture & 0xff]);
      const body = Buffer.from(this.#fill);
      if (i === 0) body[0] = keyFrame ? 0x10 : 0x11; // VP8 frame tag: bit 0 clear = key frame
      packets.push(Buffer.concat([header, descriptor, body]));
    }
    return packets;
  }
}

/** Seconds a process's main thread spent runnable but waiting for a CPU (the machine was busy), from /proc. */
export function waitSeconds(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
}

/** CPU time (user + system) of a process, in seconds, from /proc. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

// The bench phones' voice: a 440 Hz tone at -12 dBFS in G.711 mu-law (PCMU, RTP payload type 0), the
// first codec of every endpoint, so nothing transcodes (Debian's sip-tester ships only an A-law pcap).
// Two forms of the same samples, written by the bench at start (no binary file in the repository):
// - a pcap for SIPp's play_pcap_audio: one RTP packet of 160 samples (20 ms) every 20 ms, as
//   Ethernet/IPv4/UDP frames; SIPp replays the payloads at the capture's pace, rewriting addresses;
// - the raw mu-law bytes for SIPp's rtp_stream, which makes the packets itself.
import { writeFile } from 'node:fs/promises';

const RATE = 8000;
const SAMPLES = 160; // 20 ms
const SSRC = 0x5ee0_0001;

// ITU-T G.711 mu-law encoding of one 16-bit linear sample.
export function muLaw(sample: number): number {
  const BIAS = 0x84;
  const CLIP = 32635;
  const sign = sample < 0 ? 0x80 : 0;
  let s = Math.min(Math.abs(Math.round(sample)), CLIP) + BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  s = ~(sign | (exponent << 4) | mantissa);
  return s & 0xff;
}

function frame(seq: number, payload: Buffer): Buffer {
  const rtp = Buffer.alloc(12);
  rtp[0] = 0x80; // version 2
  rtp[1] = 0; // PCMU
  rtp.writeUInt16BE(seq & 0xffff, 2);
  rtp.writeUInt32BE((seq * SAMPLES) >>> 0, 4);
  rtp.writeUInt32BE(SSRC, 8);
  const udpLength = 8 + rtp.length + payload.length;
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + udpLength, 2);
  ip[8] = 64; // TTL
  ip[9] = 17; // UDP
  ip.set([127, 0, 0, 1], 12);
  ip.set([127, 0, 0, 1], 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  ip.writeUInt16BE(~sum & 0xffff, 10);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(40000, 0);
  udp.writeUInt16BE(40002, 2);
  udp.writeUInt16BE(udpLength, 4); // checksum 0: none (SIPp computes its own when it sends)
  const ethernet = Buffer.alloc(14);
  ethernet.writeUInt16BE(0x0800, 12); // IPv4
  return Buffer.concat([ethernet, ip, udp, rtp, payload]);
}

// 160 samples (20 ms) of the tone, the n-th packet's.
function samples(n: number): Buffer {
  const payload = Buffer.alloc(SAMPLES);
  for (let i = 0; i < SAMPLES; i++) payload[i] = muLaw(8192 * Math.sin((2 * Math.PI * 440 * (n * SAMPLES + i)) / RATE));
  return payload;
}

// `seconds` of tone as raw mu-law bytes (8000 a second).
export function pcmuRaw(seconds: number): Buffer {
  return Buffer.concat(Array.from({ length: Math.round(seconds * 50) }, (_, n) => samples(n)));
}

// `seconds` of tone; the number of whole 20 ms packets is seconds * 50.
export function pcmuPcap(seconds: number): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16); // snaplen
  header.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  const parts: Buffer[] = [header];
  const packets = Math.round(seconds * 50);
  for (let n = 0; n < packets; n++) {
    const data = frame(n, samples(n));
    const record = Buffer.alloc(16);
    const micros = n * 20_000;
    record.writeUInt32LE(Math.floor(micros / 1e6), 0);
    record.writeUInt32LE(micros % 1e6, 4);
    record.writeUInt32LE(data.length, 8);
    record.writeUInt32LE(data.length, 12);
    parts.push(record, data);
  }
  return Buffer.concat(parts);
}

// The audio file a phone scenario plays: a pcap (play_pcap_audio) or raw mu-law (rtp_stream).
export async function writePcmu(path: string, kind: 'pcap' | 'stream', seconds: number): Promise<void> {
  await writeFile(path, kind === 'pcap' ? pcmuPcap(seconds) : pcmuRaw(seconds));
}

// The ports an Asterisk instance is told to bind. Asterisk binds them seconds after they were checked
// free, and again after each restart: a port from the kernel's ephemeral range can meanwhile be handed
// to any socket bound to port 0 or connecting out (a browser's RTP, a phone's SIP), and Asterisk then
// runs without its SIP transport or its HTTP server. Below that range only an explicit bind takes a
// port, so "any free port" (0) is drawn from there.
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

export type PortKind = 'tcp' | 'udp';

const SPAN = 8192; // drawn from the SPAN ports just below the ephemeral range
const DRAWS = 50;

/** `wanted` after checking it is free on `host`; for 0, a free port below the ephemeral range, outside `avoid`. */
export async function choosePort(kind: PortKind, host: string, wanted: number, avoid: Array<[number, number]> = []): Promise<number> {
  if (wanted !== 0 && !validPort(wanted)) throw new RangeError(`invalid ${kind} port ${wanted}`);
  if (wanted === 0) return portBelowEphemeralRange(kind, host, avoid);
  try {
    return await probe(kind, host, wanted);
  } catch (err) {
    throw new Error(`${kind.toUpperCase()} port ${wanted} on ${host} is not free for Asterisk: ${(err as Error).message}`, { cause: err });
  }
}

/** A port nothing is bound to now, below the kernel's ephemeral range and outside `avoid` (ranges that
 * are bound at random later, such as Asterisk's RTP ports); else one the kernel assigns. */
export async function portBelowEphemeralRange(kind: PortKind, host: string, avoid: Array<[number, number]> = []): Promise<number> {
  const range = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '32768 60999');
  const [low = 32768] = range.trim().split(/\s+/).map(Number);
  const from = Math.max(1024, low - SPAN);
  for (let draw = 0; low - from >= 256 && draw < DRAWS; draw++) {
    const port = from + Math.floor(Math.random() * (low - from));
    if (avoid.some(([first, last]) => port >= first && port <= last)) continue;
    if (await probe(kind, host, port).then(() => true, () => false)) return port;
  }
  return probe(kind, host, 0);
}

// Binds `port` (0: the kernel picks) alone, lets it go, and says which port it was.
function probe(kind: PortKind, host: string, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    if (kind === 'tcp') {
      const server = createServer();
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => {
        const address = server.address();
        const chosen = typeof address === 'object' && address ? address.port : port;
        server.close(() => resolvePort(chosen));
      });
      return;
    }
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind({ address: host, port, exclusive: true }, () => {
      const chosen = socket.address().port;
      socket.close(() => resolvePort(chosen));
    });
  });
}

export function validPort(n: number): boolean {
  return Number.isInteger(n) && n > 0 && n < 65536;
}

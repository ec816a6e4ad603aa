import { createSocket, type Socket } from 'node:dgram';
import { portBelowEphemeralRange } from '../../src/ari/asterisk/ports.ts';

// A UDP link between the browsers and the SFU that the test can cut, to play a network that drops the
// media while HTTP still answers (a phone moving from Wi-Fi to mobile data). The server is started with
// `env`: the SFU binds 127.0.0.1 in a small port range and announces 127.0.0.2, where this link listens
// on the same ports and relays every browser's packets. cut() drops the paths that exist now, both
// ways, for good; paths opened later (new transports, new local ports) pass.
export interface MediaLink {
  env: Record<string, string>;
  // Paths relayed so far (browser address and port, SFU port), cut or not.
  paths(): number;
  cut(): void;
  close(): Promise<void>;
}

const FRONT = '127.0.0.2';
const SFU = '127.0.0.1';
const PORTS = 16;

export async function startMediaLink(): Promise<MediaLink> {
  const fronts = await bindRange();
  // One socket towards the SFU per path, as a NAT would map it; packets wait until it is connected.
  const backs = new Map<string, { socket: Socket; waiting: Buffer[] | null }>();
  const cut = new Set<string>();
  for (const front of fronts) {
    const sfuPort = front.address().port;
    front.on('message', (packet, from) => {
      const path = `${from.address}:${from.port}>${sfuPort}`;
      if (cut.has(path)) return;
      let back = backs.get(path);
      if (!back) {
        const socket = createSocket('udp4');
        const made = { socket, waiting: [] as Buffer[] | null };
        socket.on('message', (reply) => {
          if (!cut.has(path)) front.send(reply, from.port, from.address);
        });
        socket.on('error', () => cut.add(path));
        socket.connect(sfuPort, SFU, () => {
          for (const waiting of made.waiting ?? []) socket.send(waiting);
          made.waiting = null;
        });
        backs.set(path, (back = made));
      }
      if (back.waiting) back.waiting.push(packet);
      else back.socket.send(packet);
    });
  }
  return {
    env: { SFU_LISTEN_IP: SFU, SFU_ANNOUNCED_IP: FRONT, SFU_RTC_MIN_PORT: String(fronts[0]!.address().port), SFU_RTC_MAX_PORT: String(fronts.at(-1)!.address().port) },
    paths: () => backs.size,
    cut() {
      for (const path of backs.keys()) cut.add(path);
    },
    async close() {
      for (const socket of [...fronts, ...[...backs.values()].map((b) => b.socket)]) await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

// PORTS consecutive UDP ports free on both addresses, bound on FRONT.
async function bindRange(): Promise<Socket[]> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const first = await portBelowEphemeralRange('udp', SFU);
    const bound: Socket[] = [];
    try {
      for (let port = first; port < first + PORTS; port++) {
        await bind(SFU, port).then((probe) => new Promise<void>((resolve) => probe.close(() => resolve())));
        bound.push(await bind(FRONT, port));
      }
      return bound;
    } catch {
      for (const socket of bound) socket.close();
    }
  }
  throw new Error(`no ${PORTS} consecutive free UDP ports on ${SFU} and ${FRONT}`);
}

function bind(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind({ address, port, exclusive: true }, () => resolve(socket));
  });
}

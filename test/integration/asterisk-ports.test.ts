// The ports Asterisk is told to bind (src/ari/asterisk/ports.ts), on this machine's real sockets: "any
// free port" lies below the kernel's ephemeral range, where a port cannot be handed to another socket
// in the seconds before Asterisk binds it; a port asked for by number is checked, and refused if taken.
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import t from 'tap';
import { choosePort } from '../../src/ari/asterisk/ports.ts';

const ephemeralLow = async () => Number((await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/)[0]);

t.test('any free port is one the kernel does not hand out, and is free', async (t) => {
  const low = await ephemeralLow();
  for (const kind of ['tcp', 'udp'] as const) {
    const port = await choosePort(kind, '127.0.0.1', 0);
    t.ok(port >= 1024 && port < low, `${kind} ${port} lies below the ephemeral range (from ${low})`);
    const bound = kind === 'tcp' ? await bindTcp(port) : await bindUdp(port);
    t.pass(`${kind} ${port} can be bound`);
    await bound();
  }
});

t.test("ranges to avoid (Asterisk's RTP ports) are never drawn", async (t) => {
  const low = await ephemeralLow();
  for (let i = 0; i < 20; i++) {
    const port = await choosePort('udp', '127.0.0.1', 0, [[1024, low - 2]]);
    t.ok(port === low - 1 || port >= low, `${port} is outside 1024-${low - 2}`);
  }
});

t.test('a port asked for by number is refused while another socket holds it, and nothing else is chosen', async (t) => {
  const port = await choosePort('udp', '127.0.0.1', 0);
  const release = await bindUdp(port);
  t.teardown(release);
  await t.rejects(choosePort('udp', '127.0.0.1', port), { message: new RegExp(`UDP port ${port} on 127.0.0.1 is not free for Asterisk`) });
  await t.rejects(choosePort('tcp', '127.0.0.1', 70000), RangeError);
});

function bindTcp(port: number): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(() => new Promise((done) => server.close(() => done()))));
  });
}

function bindUdp(port: number): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind({ address: '127.0.0.1', port, exclusive: true }, () => resolve(() => new Promise((done) => socket.close(() => done()))));
  });
}

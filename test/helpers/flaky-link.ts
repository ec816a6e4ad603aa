import { createServer, connect, type Server, type Socket } from 'node:net';

// A TCP link on 127.0.0.1 between the browser and the server that the test can cut, to play a dropped
// network: every open connection is destroyed and new ones are refused until the link comes back. Or
// stall, to play a peer that hangs: connections stay open, and are taken, but nothing passes any more.
export interface FlakyLink {
  url: string;
  port: number;
  cut(): void;
  stall(): void; // for good: restore() brings back new connections only
  restore(): void;
  close(): Promise<void>;
}

export async function startFlakyLink(targetPort: number): Promise<FlakyLink> {
  const sockets = new Set<Socket>();
  let link: 'up' | 'cut' | 'stalled' = 'up';
  const server: Server = createServer((client) => {
    if (link === 'cut') return void client.destroy();
    if (link === 'stalled') {
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      return void client.pause();
    }
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    cut() {
      link = 'cut';
      for (const s of sockets) s.destroy();
    },
    stall() {
      link = 'stalled';
      for (const s of sockets) {
        s.unpipe();
        s.pause();
      }
    },
    restore() {
      link = 'up';
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

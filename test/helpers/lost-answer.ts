import { connect, createServer, type Server, type Socket } from 'node:net';

// A TCP hop in front of a server that plays a node killed between doing a request's work and
// answering it: once armed, the next request whose first line matches `requestLine` reaches the server,
// and when the server's answer starts, the hop drops it and closes both connections (as the kernel
// closes a killed process's sockets). Every other request passes through untouched. A load balancer
// in front of the hop sees what it sees when a node dies with the request in hand.
export interface LostAnswerHop {
  port: number;
  /** Lose the answer to the next matching request (once). */
  arm(): void;
  /** How many matching requests reached the server through the hop. */
  matched(): number;
  close(): Promise<void>;
}

export async function startLostAnswerHop(targetPort: number, requestLine: RegExp): Promise<LostAnswerHop> {
  const sockets = new Set<Socket>();
  let armed = false;
  let matched = 0;
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    // The request line comes in the first chunk (the balancer writes the head in one go).
    client.once('data', (head: Buffer) => {
      const isMatch = requestLine.test(head.toString('latin1').split('\r\n', 1)[0] ?? '');
      if (isMatch) matched += 1;
      const lose = isMatch && armed;
      if (lose) armed = false;
      upstream.write(head);
      client.pipe(upstream);
      if (!lose) return void upstream.pipe(client);
      upstream.once('data', () => {
        upstream.destroy();
        client.destroy();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    arm: () => void (armed = true),
    matched: () => matched,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

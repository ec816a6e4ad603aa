import type { Duplex } from 'node:stream';

// Answers a WebSocket upgrade with a plain HTTP refusal (the handshake never happens): the status, the
// reason as status text and body, and any header a client may act on (Retry-After).
export function refuseUpgrade(socket: Duplex, status: number, reason: string, headers: Record<string, string | number> = {}): void {
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\n${extra}Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
}

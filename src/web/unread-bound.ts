import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

// Bytes sent to a peer and not yet read by it, past which the server stops reading that peer.
export const UNREAD_MAX_BYTES = 256 * 1024;

// Called as a peer's frame is answered: a peer that sends without reading what it is sent (every
// frame answered, even a malformed one) would otherwise have the answers queued in this process
// without end. Past the bound, nothing more is read from it until what it was sent has drained: its
// frames wait in the kernel's buffers and its own. The heartbeat cuts a peer that never reads again.
export function holdWhileUnread(ws: WebSocket, socket: Duplex): void {
  if (ws.bufferedAmount <= UNREAD_MAX_BYTES || ws.isPaused) return;
  ws.pause();
  socket.once('drain', () => ws.resume());
}

import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

// Bytes sent to a peer and not yet read by it, past which the server stops reading that peer.
export const UNREAD_MAX_BYTES = 256 * 1024;
// How long such a peer has to read what it was sent before it is cut. (The heartbeat leaves a paused
// socket alone: its pongs are not read while paused.)
export const UNREAD_DRAIN_MS = 60_000;

// Called as a peer's frame is answered: a peer that sends without reading what it is sent (every
// frame answered, even a malformed one) would otherwise have the answers queued in this process
// without end. Past the bound, nothing more is read from it until what it was sent has drained: its
// frames wait in the kernel's buffers and its own. One that has not drained in UNREAD_DRAIN_MS is cut.
export function holdWhileUnread(ws: WebSocket, socket: Duplex): void {
  if (ws.bufferedAmount <= UNREAD_MAX_BYTES || ws.isPaused) return;
  ws.pause();
  const deadline = setTimeout(() => ws.terminate(), UNREAD_DRAIN_MS).unref();
  socket.once('drain', () => {
    clearTimeout(deadline);
    ws.resume();
  });
}

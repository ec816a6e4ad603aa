import { BlockList, isIP, isIPv6 } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Express, Request } from 'express';

// Who is asking, as far as abuse limits and the demo password are concerned. `req.ip` follows
// TRUST_PROXY: behind a trusted proxy it is the address the proxy saw, otherwise the socket's peer.

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

function isLoopbackAddress(address: string | undefined): boolean {
  const family = address === undefined ? 0 : isIP(address);
  return family !== 0 && LOOPBACK.check(address!, family === 6 ? 'ipv6' : 'ipv4');
}

// Every address a forwarding header names. A proxy on this machine relays clients from anywhere: its
// headers say who they are even when TRUST_PROXY is not set, and a client claiming to be a proxy only
// makes itself look less local, never more.
function forwardedAddresses(req: Request): string[] {
  const named: string[] = [];
  const xff = req.get('x-forwarded-for');
  if (xff !== undefined) named.push(...xff.split(',').map((a) => a.trim()));
  const realIp = req.get('x-real-ip');
  if (realIp !== undefined) named.push(realIp.trim());
  const forwarded = req.get('forwarded');
  // RFC 7239: for=192.0.2.60, for="[2001:db8::1]:4711", for=unknown; anything but a bare address counts as remote.
  if (forwarded !== undefined) {
    const fors = [...forwarded.matchAll(/for="?\[?([^\]";,]*)/gi)].map((m) => m[1]!);
    named.push(...(fors.length > 0 ? fors : ['unknown']));
  }
  return named;
}

/** A client on this machine: the socket's peer, req.ip and every forwarded address are loopback. */
export function isLoopbackClient(req: Request): boolean {
  return [req.socket.remoteAddress, req.ip, ...forwardedAddresses(req)].every(isLoopbackAddress);
}

/**
 * The key abuse limits count a client under: its IPv4 address, or its IPv6 /64 (one subscriber's
 * network hands out a whole /64, so counting single IPv6 addresses would count nothing).
 */
export function clientAddress(req: Request): string {
  return addressKey(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}

/**
 * clientAddress() of a WebSocket upgrade, which express never sees: the raw request is read through
 * express's own request, so TRUST_PROXY applies to sockets as to HTTP.
 */
export function upgradeClientAddress(app: Express, req: IncomingMessage): string {
  const asExpress = Object.create(app.request, { app: { value: app }, headers: { value: req.headers }, socket: { value: req.socket }, connection: { value: req.socket } }) as Request;
  return clientAddress(asExpress);
}

export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail] = ip.split('%')[0]!.split('::');
  const first = head ? head.split(':') : [];
  const last = tail ? tail.split(':') : [];
  const groups = tail === undefined ? first : [...first, ...Array<string>(Math.max(0, 8 - first.length - last.length)).fill('0'), ...last];
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

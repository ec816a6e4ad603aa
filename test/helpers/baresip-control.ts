// The control port of a baresip phone (its ctrl_tcp listener), and who else listens on it.
//
// Every TCP listener baresip opens sets SO_REUSEPORT (libre does), the SIP TCP and WebSocket
// transports it binds to ports the OS assigns as much as ctrl_tcp. So a SIP listener, its own or
// another phone's, can land on the port the helper chose for ctrl_tcp while baresip starts, and both
// then listen there: the kernel hands each connection to either, and a SIP listener closes a control
// connection at its first command ("baresip control socket closed" while baresip runs on). Hence the
// port is taken below the kernel's ephemeral range, where no port the OS assigns can fall, and the
// helper connects only once the port's listeners are all this baresip's.
import { readFile, readdir, readlink } from 'node:fs/promises';
import { portBelowEphemeralRange } from '../../src/ari/asterisk/ports.ts';

export type ControlListeners = 'none' | 'own' | 'shared';

// A port below the ephemeral range that nothing listens on now (as Asterisk's own ports are drawn).
export const controlPort = (): Promise<number> => portBelowEphemeralRange('tcp', '127.0.0.1');

// Who listens on `port`: nobody yet, process `pid` alone, or another process too.
export async function controlListeners(port: number, pid: number): Promise<ControlListeners> {
  const listening = (await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map((f) => readFile(f, 'utf8').catch(() => ''))))
    .flatMap((table) => listenerInodes(table, port));
  if (listening.length === 0) return 'none';
  const own = await socketInodes(pid);
  return listening.every((inode) => own.has(inode)) ? 'own' : 'shared';
}

// The inodes of the sockets listening on `port` in a /proc/net/tcp{,6} table.
function listenerInodes(table: string, port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A') // 0A: TCP_LISTEN
    .map((f) => f[9]!);
}

async function socketInodes(pid: number): Promise<Set<string>> {
  const dir = `/proc/${pid}/fd`;
  const links = await Promise.all((await readdir(dir).catch(() => [])).map((fd) => readlink(`${dir}/${fd}`).catch(() => '')));
  return new Set(links.map((l) => /^socket:\[(\d+)\]$/.exec(l)?.[1]).filter((i): i is string => i !== undefined));
}

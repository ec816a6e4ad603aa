import { Agent, request } from 'node:http';
import type { Ari } from './client.ts';
import { AriHttpError } from './errors.ts';

type Params = Record<string, unknown>;

// A request Asterisk does not answer (wedged, or the link gone without a reset) fails after this long
// instead of holding its interaction's call work (and every Release of it) for good.
export const REQUEST_TIMEOUT_MS = 10_000;

// The requests every call makes (ring, dial, bridge, hold, mute, hang up) go to ARI over node:http on a
// keep-alive agent rather than through ari-client's swagger-client and shred, which took about 0.5 ms
// of the controller's CPU a request against 0.15 ms this way (500 GET /asterisk/info each), and a
// call makes seven. Every other operation stays ari-client's. The answers are the same: the JSON
// body, or an AriHttpError with the status and the body, as keepHttpStatus() makes them.
export function sendCallRequestsDirect(ari: Ari, url: string, user: string, password: string, timeoutMs = REQUEST_TIMEOUT_MS): void {
  const send = direct(url, user, password, timeoutMs);
  const channel = (p: { channelId?: string }, tail = '') => (p.channelId ? `/channels/${encodeURIComponent(p.channelId)}${tail}` : '/channels');
  const bridge = (p: { bridgeId?: string }, tail = '') => (p.bridgeId ? `/bridges/${encodeURIComponent(p.bridgeId)}${tail}` : '/bridges');
  const { channels, bridges } = ari;
  channels.originate = (p) => send('POST', channel(p), omit(p, 'channelId', 'variables'), p.variables ? { variables: p.variables } : undefined);
  channels.hangup = (p) => send('DELETE', channel(p), omit(p, 'channelId'));
  channels.startMoh = (p) => send('POST', channel(p, '/moh'), omit(p, 'channelId'));
  channels.stopMoh = (p) => send('DELETE', channel(p, '/moh'), {});
  channels.mute = (p) => send('POST', channel(p, '/mute'), omit(p, 'channelId'));
  channels.unmute = (p) => send('DELETE', channel(p, '/mute'), omit(p, 'channelId'));
  bridges.create = (p) => send('POST', bridge(p), omit(p, 'bridgeId'));
  bridges.addChannel = (p) => send('POST', bridge(p, '/addChannel'), omit(p, 'bridgeId'));
  bridges.removeChannel = (p) => send('POST', bridge(p, '/removeChannel'), omit(p, 'bridgeId'));
  bridges.destroy = (p) => send('DELETE', bridge(p), {});
  bridges.startMoh = (p) => send('POST', bridge(p, '/moh'), omit(p, 'bridgeId'));
  bridges.stopMoh = (p) => send('DELETE', bridge(p, '/moh'), {});
}

function omit(p: object, ...keys: string[]): Params {
  return Object.fromEntries(Object.entries(p).filter(([key, value]) => value !== undefined && !keys.includes(key)));
}

// ARI takes its parameters in the query string (several values of one comma-separated), variables in
// a JSON body. Asterisk closes an idle connection after 15 s: ours are let go after 5, as Node's own
// global agent does.
function direct(url: string, user: string, password: string, timeoutMs: number) {
  const agent = new Agent({ keepAlive: true, timeout: 5000, scheduling: 'lifo' });
  const authorization = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
  const base = `${url.replace(/\/$/, '')}/ari`;
  return <T>(method: string, path: string, query: Params, body?: object): Promise<T> =>
    new Promise((resolve, reject) => {
      const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)])).toString();
      const json = body ? JSON.stringify(body) : '';
      const headers: Record<string, string> = { authorization, 'content-length': String(Buffer.byteLength(json)) };
      if (json) headers['content-type'] = 'application/json';
      const req = request(`${base}${path}${search ? `?${search}` : ''}`, { method, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) reject(new AriHttpError(status, text || `HTTP ${status}`));
          else resolve((text ? JSON.parse(text) : undefined) as T);
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`ARI request timed out after ${timeoutMs} ms: ${method} ${path}`)));
      req.on('error', reject);
      req.end(json);
    });
}

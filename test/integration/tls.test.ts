// HTTPS with TLS_CERT/TLS_KEY (pages, API and WSS on one port), and behind a TLS-terminating reverse
// proxy with TRUST_PROXY: session cookies are Secure in both cases.
import { execFileSync } from 'node:child_process';
import { request } from 'node:https';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { WebSocket } from 'ws';
import { withServer } from '../helpers/fixtures.ts';
import { removeDir } from '../helpers/server.ts';

function httpsRequest(url: string, opts: { method?: string; body?: string; headers?: Record<string, string> } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

t.test('served over HTTPS and WSS when given a certificate and key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mcc-tls-'));
  t.teardown(() => removeDir(dir)); // after the server has stopped
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  const server = await withServer(t, { env: { TLS_CERT: cert, TLS_KEY: key } });
  const base = `https://127.0.0.1:${server.port}`;

  t.equal((await httpsRequest(`${base}/m/roadside`)).status, 200, 'the customer page is served over HTTPS');
  const login = await httpsRequest(`${base}/login`);
  t.equal(login.status, 200, 'the login page is served over HTTPS');
  t.match(String(login.headers['set-cookie']), /Secure/, 'cookies are Secure under HTTPS');
  t.match(login.headers['strict-transport-security'], /max-age=31536000/, 'the browser is told to come back over HTTPS only (HSTS)');

  const created = await httpsRequest(`${base}/api/v1/chats`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ service: 'roadside', name: 'Ana', phone: '+34600111222' }),
  });
  t.equal(created.status, 201, 'the mobile API answers over HTTPS');
  const chat = JSON.parse(created.body) as { id: string; token: string };

  const ws = new WebSocket(`wss://127.0.0.1:${server.port}/api/v1/chats/${chat.id}/events?token=${chat.token}`, { rejectUnauthorized: false });
  const first = await new Promise<{ type: string }>((resolve, reject) => {
    ws.once('message', (data) => resolve(JSON.parse(String(data)) as { type: string }));
    ws.once('error', reject);
  });
  t.equal(first.type, 'chat', 'the live feed works over WSS');
  ws.close();
});

t.test('behind a reverse proxy: TRUST_PROXY makes X-Forwarded-Proto count', async (t) => {
  const server = await withServer(t, { env: { TRUST_PROXY: 'loopback' } });
  const proxied = await fetch(`${server.url}/login`, { headers: { 'x-forwarded-proto': 'https' } });
  t.match(String(proxied.headers.get('set-cookie')), /Secure/, 'a request the proxy received over HTTPS gets Secure cookies');
  t.match(proxied.headers.get('strict-transport-security'), /max-age=/, 'and HSTS');
  const direct = await fetch(`${server.url}/login`);
  t.notMatch(String(direct.headers.get('set-cookie')), /Secure/, 'plain HTTP without the proxy header does not');
  t.equal(direct.headers.get('strict-transport-security'), null, 'nor HSTS');
});

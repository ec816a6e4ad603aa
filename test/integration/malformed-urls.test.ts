// Malformed percent-encoding (and URLs no parser takes) anywhere, on the API, the desktop and the
// sockets, is a 4xx with the API's error body, never a 500, a crash, or an error in the log.
import { connect } from 'node:net';
import t, { type Test } from 'tap';
import { ApiClient } from '../helpers/api-client.ts';
import { errorOf } from '../helpers/api-errors.ts';
import { agentGet, agentPost } from '../helpers/desktop-client.ts';
import { login, withServer } from '../helpers/fixtures.ts';
import { logEntries } from '../helpers/server.ts';

const server = await withServer(t);
const api = new ApiClient(server.url);
const agent = await login(server, 'agent1');
const chat = await api.createChat();

/** Sends `requestLine` and headers as they are (no client would send them) and answers the status line. */
function rawRequest(requestLine: string, headers: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1', () => socket.write([requestLine, `Host: 127.0.0.1:${server.port}`, 'Connection: close', ...headers, '', ''].join('\r\n')));
    let answer = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer to ${requestLine}`)));
  });
}

const UPGRADE = ['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='];

t.test('API paths with malformed percent-encoding answer 400 malformed_url', async (t) => {
  const requests: Array<[string, string]> = [
    ['GET', '/api/v1/chats/%zz'],
    ['GET', '/api/v1/chats/%zz/messages'],
    ['POST', '/api/v1/chats/%zz/messages'],
    ['POST', '/api/v1/chats/%E0%A4%A/context'],
    ['GET', `/api/v1/chats/${chat.id}/attachments/%zz`],
    ['GET', '/m/%zz'],
  ];
  for (const [method, path] of requests) {
    const res = await api.request(method, path, { token: chat.token, ...(method === 'POST' ? { json: { text: 'hi' } } : {}) });
    t.equal(res.status, 400, `${method} ${path}: 400`);
    t.equal((await errorOf(res))?.code, 'malformed_url', `${method} ${path}: code malformed_url`);
  }
  // The events path is a socket's only: without an upgrade it is no endpoint, whatever the id.
  const events = await api.request('GET', '/api/v1/chats/%zz/events');
  t.equal(events.status, 404, 'GET /api/v1/chats/%zz/events without a socket: 404');
  t.equal((await errorOf(events))?.code, 'no_such_endpoint', 'as for a well-formed id: code no_such_endpoint');
  noErrorLogged(t);
});

t.test('desktop paths with malformed percent-encoding answer 400 malformed_url', async (t) => {
  for (const path of ['/desktop/interactions/%zz', '/desktop/history/%zz', `/desktop/attachments/${chat.id}/%zz`, '/desktop/attachments/%zz/x']) {
    const res = await agentGet(agent, path);
    t.equal(res.status, 400, `GET ${path}: 400`);
    t.equal((await errorOf(res))?.code, 'malformed_url', `GET ${path}: code malformed_url`);
  }
  const accept = await agentPost(agent, '/desktop/interactions/%zz/accept');
  t.equal(accept.status, 400, 'POST /desktop/interactions/%zz/accept: 400');
  t.equal((await errorOf(accept))?.code, 'malformed_url');
  noErrorLogged(t);
});

t.test('sockets: a malformed chat id, or a URL no parser takes, is refused with 400 and the server stays up', async (t) => {
  t.equal(await api.eventsHandshakeStatus('%zz', chat.token), 400, "the customer's events socket of chat %zz: 400");
  t.match(await rawRequest('GET http://[ HTTP/1.1', UPGRADE), /^HTTP\/1\.1 400/, 'an upgrade to GET http://[ : 400');
  t.match(await rawRequest('GET //[ HTTP/1.1', UPGRADE), /^HTTP\/1\.1 400/, 'an upgrade to GET //[ : 400');
  t.match(await rawRequest('GET http://[ HTTP/1.1'), /^HTTP\/1\.1 404 /, 'a plain GET http://[ : 404, no such page');
  const health = await fetch(`${server.url}/healthz`);
  t.equal(health.status, 200, 'the server still answers');
  await health.text();
  noErrorLogged(t);
});

// Checked at the end of each test, so each stands alone: what the file's tests sent so far logged no error.
function noErrorLogged(t: Test): void {
  t.same([...logEntries(server, 'unhandled error'), ...logEntries(server, 'customer socket authorisation failed')], [], 'none of it was logged as an unhandled error');
}

// Tokens and pages: an ended chat's token expires, agent pages are never cached, the pages reach only
// their own origin, and /metrics answers only this machine or the holder of METRICS_TOKEN.
import t from 'tap';
import { ApiClient } from '../helpers/api-client.ts';
import { agentGet } from '../helpers/desktop-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { login, withServer } from '../helpers/fixtures.ts';

t.test("an ended chat's token reads the history for ENDED_CHAT_ACCESS_H, then is refused", async (t) => {
  const server = await withServer(t, { env: { ENDED_CHAT_ACCESS_H: '0.0005' } }); // 1.8 s
  const api = new ApiClient(server.url);
  const chat = await api.createChat();
  await api.say(chat, 'Where is the tow truck?');
  t.equal((await api.end(chat)).status, 200, 'ended by the customer');
  const read = await api.request('GET', `/api/v1/chats/${chat.id}/messages`, { token: chat.token });
  t.equal(read.status, 200, 'right after the end the history still reads');
  t.match(await read.text(), /tow truck/);
  t.equal((await api.request('POST', `/api/v1/chats/${chat.id}/phone`, { token: chat.token, json: {} })).status, 404, 'no phone (no simulated PSTN here)');
  const refused = await eventually('the token expires', async () => {
    const res = await api.request('GET', `/api/v1/chats/${chat.id}/messages`, { token: chat.token });
    return res.status === 401 ? res : void (await res.text());
  }, 20_000);
  t.match(await refused.json(), { error: { code: 'token_expired' } }, 'then 401 token_expired');
  t.equal((await api.request('GET', `/api/v1/chats/${chat.id}`, { token: chat.token })).status, 401, 'the chat itself too');
  t.equal(await api.eventsHandshakeStatus(chat.id, chat.token), 401, 'and its event socket');
  const open = await api.createChat();
  t.equal((await api.request('GET', `/api/v1/chats/${open.id}/messages`, { token: open.token })).status, 200, 'an open chat of the same age is not affected');
  await api.end(open);
});

t.test('agent pages: no-store, and a CSP that connects to the own origin only', async (t) => {
  const server = await withServer(t);
  const agent = await login(server, 'agent1');
  for (const path of ['/desktop', '/desktop/history', '/admin/telephony', '/account']) {
    const res = await agentGet(agent, path);
    await res.text();
    t.equal(res.status, 200, `${path} answers`);
    t.equal(res.headers.get('cache-control'), 'no-store', `${path} is never cached`);
    const csp = res.headers.get('content-security-policy') ?? '';
    t.equal(/connect-src ([^;]*)/.exec(csp)?.[1], "'self'", `${path} connects to its own origin only`);
  }
  const loginPage = await fetch(`${server.url}/login`);
  await loginPage.text();
  t.equal(loginPage.headers.get('cache-control'), 'no-store', 'the login form too');
});

const fromElsewhere = { 'x-forwarded-for': '203.0.113.9' };

t.test('/metrics without METRICS_TOKEN: this machine only, also behind a proxy on loopback', async (t) => {
  const server = await withServer(t, { env: { TRUST_PROXY: 'loopback' } });
  const local = await fetch(`${server.url}/metrics`);
  t.equal(local.status, 200, 'a request from this machine reads them');
  t.match(await local.text(), /cc_interactions/);
  const forwarded = await fetch(`${server.url}/metrics`, { headers: fromElsewhere });
  t.equal(forwarded.status, 403, 'a request the proxy relayed from another machine is refused');
  t.match(await forwarded.json(), { error: { code: 'metrics_local_only' } });
});

t.test('/metrics with METRICS_TOKEN: the bearer of the token only', async (t) => {
  const token = 'metrics-token-0123456789abcdef';
  const server = await withServer(t, { env: { TRUST_PROXY: 'loopback', METRICS_TOKEN: token } });
  const without = await fetch(`${server.url}/metrics`);
  t.equal(without.status, 401, 'no token: refused, even from this machine');
  t.match(without.headers.get('www-authenticate') ?? '', /^Bearer/);
  t.match(await without.json(), { error: { code: 'metrics_token_required' } });
  const wrong = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}x` } });
  t.equal(wrong.status, 401, 'a wrong token: refused');
  await wrong.text();
  const right = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}`, ...fromElsewhere } });
  t.equal(right.status, 200, 'the token opens them from anywhere');
  t.match(await right.text(), /cc_interactions/);
});

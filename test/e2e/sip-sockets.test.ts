// Telephony sockets are a scarce resource: each /sip socket the web server accepts holds one of the
// HTTP sessions of Asterisk (sessionlimit 200), which ARI needs too. With a real Asterisk and Chromium:
// a flood of phone sockets from anonymous chats leaves calling and ARI working, and the caps per chat,
// per agent session, for customers and in total refuse the socket with a clear status.
import t from 'tap';
import { eventually, sleep } from '../helpers/eventually.ts';
import { login, withBrowser, withServer } from '../helpers/fixtures.ts';
import { metric, metricsText } from '../helpers/metrics.ts';
import { customerSipUrl, sipFlood } from '../helpers/sip-flood.ts';
import { HandshakeRefused, openSocket, type SocketProbe } from '../helpers/socket-probe.ts';
import { agentDesktop, ariCredentials, customerPhone, mediaFlows, startChat, VOICE_ENV } from '../helpers/voice.ts';

async function health(url: string): Promise<{ ms: number; ari: string }> {
  const started = performance.now();
  // No answer fails the test (fetch rejects): /healthz must keep answering under the flood. Its time
  // is reported, not asserted (the machine also runs Chromium, Asterisk and another test file).
  const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { ari: { state: string } };
  return { ms: performance.now() - started, ari: body.ari.state };
}

// The controller's own ARI requests, one every 250 ms until `until` settles: what Asterisk refused.
async function probeAri(ari: { url: string; auth: string }, until: Promise<void>): Promise<{ answered: number; failures: string[] }> {
  let done = false;
  void until.then(() => (done = true));
  const failures: string[] = [];
  let answered = 0;
  while (!done) {
    const res = await fetch(`${ari.url}/asterisk/info`, { headers: { authorization: ari.auth }, signal: AbortSignal.timeout(10_000) }).catch((err: Error) => err);
    if (res instanceof Error) failures.push(res.message);
    else if (!res.ok) failures.push(`HTTP ${res.status}`);
    else answered += 1;
    if (!(res instanceof Error)) await res.body?.cancel();
    await sleep(250);
  }
  return { answered, failures };
}

t.test('400 phone sockets from 50 anonymous chats: click-to-call still connects with audio, /healthz answers with ARI up', async (t) => {
  // All 50 chats come from 127.0.0.1: the per-address limit on new chats (another defence) is lifted,
  // so that what is tested here is the socket caps alone.
  const server = await withServer(t, { env: { ...VOICE_ENV, CHATS_PER_ADDRESS_PER_HOUR: '1000' } });
  const browser = await withBrowser(t);
  const agent = await (await browser.newContext()).newPage();
  const phone = await (await browser.newContext()).newPage();

  // The real customer's phone registers before the attack; the agent logs in during it.
  const number = '+15551230031';
  const chat = await startChat(server, 'roadside', number);
  await customerPhone(phone, server, chat);
  const idle = await health(server.url);

  // A burst, then attempts that go on (as a reconnecting client's would) while the agent works.
  const flood = await sipFlood(server, { chats: 50, socketsPerChat: 8, burst: 250, perSecond: 10 });
  t.teardown(() => flood.close());
  const during = await health(server.url);
  t.equal(during.ari, 'up', '/healthz answers with ARI up, during the flood');
  const ariProbe = probeAri(await ariCredentials(server), flood.finished);

  await agentDesktop(agent, server);
  t.pass("the agent's softphone registered during the flood");
  await agent.getByRole('button', { name: 'Accept' }).click();
  await agent.getByRole('button', { name: number }).click();
  await agent.locator('section.interaction .call-state.call-connected').waitFor({ timeout: 20_000 });
  await mediaFlows(t, agent, 'the agent');
  await mediaFlows(t, phone, 'the customer');

  await flood.finished;
  const ari = await ariProbe;
  t.same(ari.failures, [], `Asterisk answered every ARI request during the flood (${ari.answered} of them)`);
  const refused = [...flood.refused.values()].reduce((a, b) => a + b, 0);
  t.comment(`flood: ${flood.attempted()} attempted, ${flood.opened()} opened, refused ${JSON.stringify([...flood.refused])}`);
  t.equal(flood.attempted(), 400, 'the 400 sockets were all attempted');
  t.ok(refused > 0 && [...flood.refused.keys()].every((s) => s === 429 || s === 503), 'the sockets past the caps are refused with 429 or 503');
  const after = await health(server.url);
  t.equal(after.ari, 'up', '/healthz answers with ARI up, after the flood');
  t.comment(`/healthz took ${during.ms.toFixed(1)} ms during the flood, ${after.ms.toFixed(1)} ms after it, ${idle.ms.toFixed(1)} ms idle`);
  t.equal(metric(await metricsText(server.url), 'cc_sip_sockets_refused_total'), refused, 'every refusal is counted in /metrics');
});

t.test('phone sockets are capped per chat, per agent session, for customers and in total; an ended chat gets none', async (t) => {
  const server = await withServer(t, {
    env: { ...VOICE_ENV, SIP_SOCKETS_PER_CHAT: '2', SIP_SOCKETS_PER_AGENT_SESSION: '2', SIP_SOCKETS_CUSTOMERS_MAX: '3', SIP_SOCKETS_MAX: '5', SIP_SOCKET_PING_S: '1' },
  });
  const open: SocketProbe[] = [];
  t.teardown(() => Promise.all(open.map((s) => s.close())));
  const opens = async (url: string, cookie?: string) => {
    const socket = await openSocket(url, cookie ? { headers: { cookie } } : {});
    open.push(socket);
    return socket;
  };
  const refusal = async (url: string, cookie?: string) => {
    try {
      await opens(url, cookie);
    } catch (err) {
      if (err instanceof HandshakeRefused) return err.status;
      throw err;
    }
    return 101;
  };

  const chatA = customerSipUrl(server, await startChat(server, 'roadside', '+15551230041'));
  await opens(chatA);
  await opens(chatA);
  t.equal(await refusal(chatA), 429, "a chat's 3rd phone socket is refused: 429");

  const ended = await startChat(server, 'roadside', '+15551230042');
  const end = await fetch(`${server.url}/api/v1/chats/${ended.id}/end`, { method: 'POST', headers: { authorization: `Bearer ${ended.token}` } });
  t.equal(end.status, 200, 'the customer ends the chat');
  t.equal(await refusal(customerSipUrl(server, ended)), 409, "an ended chat's token opens no phone socket: 409");

  const chatC = customerSipUrl(server, await startChat(server, 'roadside', '+15551230043'));
  await opens(chatC);
  t.equal(await refusal(chatC), 503, "past the customers' share (3) a phone socket is refused: 503");

  const agent1 = await login(server, 'agent1');
  const agentSip = `ws://127.0.0.1:${server.port}/sip`;
  await opens(agentSip, agent1.cookie);
  await opens(agentSip, agent1.cookie);
  t.pass("the agents' share stays free while customers' sockets are at their cap");
  t.equal(await refusal(agentSip, agent1.cookie), 429, "an agent session's 3rd softphone socket is refused: 429");
  const agent2 = await login(server, 'agent2');
  t.equal(await refusal(agentSip, agent2.cookie), 503, 'past the total (5) even an agent socket is refused: 503');

  // A closed socket gives its place back.
  await open.shift()!.close();
  await eventually('a place freed by a closed socket', async () => (metric(await metricsText(server.url), 'cc_sip_sockets', { kind: 'customer' }) === 2 ? true : undefined));
  await opens(chatC);
  t.pass("once one of chat A's sockets closes, chat C's second socket opens");

  const text = await metricsText(server.url);
  const reasons = { per_chat: 1, chat_ended: 1, customers_full: 1, per_agent_session: 1, total_full: 1 };
  for (const [reason, n] of Object.entries(reasons)) t.equal(metric(text, 'cc_sip_sockets_refused_total', { reason }), n, `refusals counted in /metrics: ${reason}`);
  t.equal(metric(text, 'cc_sip_sockets', { kind: 'customer' }), 3, 'open phone sockets in /metrics: customers');
  t.equal(metric(text, 'cc_sip_sockets', { kind: 'agent' }), 2, 'open phone sockets in /metrics: agents');

  // A phone that vanished without closing (it answers no ping) is cut and gives its place back.
  await open.pop()!.close();
  await eventually('the place of a closed socket', async () => (metric(await metricsText(server.url), 'cc_sip_sockets', { kind: 'customer' }) === 2 ? true : undefined));
  const silent = await openSocket(chatC, { autoPong: false });
  open.push(silent);
  await eventually('the silent socket cut', () => (silent.ws.readyState === silent.ws.CLOSED ? true : undefined), 5000);
  await eventually('its place given back', async () => (metric(await metricsText(server.url), 'cc_sip_sockets', { kind: 'customer' }) === 2 ? true : undefined));
  t.pass('a phone socket that answers no ping is cut within two pings, and its place given back');
});

t.test("a chat that ends closes its open phone sockets, and their places come back", async (t) => {
  const server = await withServer(t, { env: VOICE_ENV });
  const chat = await startChat(server, 'roadside', '+15551230051');
  const phone = await openSocket(customerSipUrl(server, chat));
  t.teardown(() => phone.close());
  const closed = new Promise<number>((resolve) => phone.ws.once('close', (code) => resolve(code)));
  t.equal(metric(await metricsText(server.url), 'cc_sip_sockets', { kind: 'customer' }), 1, 'the phone socket holds a place');
  const end = await fetch(`${server.url}/api/v1/chats/${chat.id}/end`, { method: 'POST', headers: { authorization: `Bearer ${chat.token}` } });
  t.equal(end.status, 200, 'the customer ends the chat');
  t.equal(await closed, 1000, 'the server closes the ended chat\'s phone socket');
  await eventually('the place given back', async () => (metric(await metricsText(server.url), 'cc_sip_sockets', { kind: 'customer' }) === 0 ? true : undefined));
  t.pass("the ended chat's place is free again");
});

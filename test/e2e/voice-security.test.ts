// Who can make Asterisk place a call: nobody but the controller. End to end against the Asterisk the
// server starts: anonymous SIP INVITEs (hand-made, over UDP), an authenticated agent desk phone (baresip)
// dialling numbers itself, and where ARI and SIP listen.
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { WebSocket } from 'ws';
import { Baresip } from '../helpers/baresip.ts';
import { probeInvites } from '../helpers/raw-sip.ts';
import { logEntries, removeDir, startServer } from '../helpers/server.ts';
import { ariCredentials, ariGet, deskPasswordOf, sipPortOf, startChat, VOICE_ENV } from '../helpers/voice.ts';

const CUSTOMER = '+15551230031';
const REJECTED = [401, 403, 404, 407];

t.test('nobody but the controller places calls', async (t) => {
  const server = await startServer({ env: VOICE_ENV });
  const phones: Baresip[] = [];
  t.teardown(async () => {
    for (const p of phones) await p.stop();
    await server.stop();
    await removeDir(server.dataDir);
  });
  const ari = await ariCredentials(server);
  const sipPort = sipPortOf(server);

  // A customer's phone registered for its number (a real target), and the agent's desk phone.
  const chat = await startChat(server, 'roadside', CUSTOMER);
  const res = await fetch(`${server.url}/api/v1/chats/${chat.id}/phone`, {
    method: 'POST',
    headers: { authorization: `Bearer ${chat.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'sip' }),
  });
  const customerCreds = (await res.json()) as { username: string; password: string };
  const customer = await Baresip.start({ accounts: [{ user: customerCreds.username, password: customerCreds.password, sipPort, autoAnswer: true }] });
  phones.push(customer);
  const desk = await Baresip.start({ accounts: [{ user: 'agent1-desk', password: await deskPasswordOf(server, 'agent1'), sipPort, autoAnswer: true }] });
  phones.push(desk);
  await customer.waitRegistered(customerCreds.username);
  await desk.waitRegistered('agent1-desk');

  // Every channel Asterisk creates, seen by an observer application subscribed to everything.
  const created: string[] = [];
  const observer = new WebSocket(`${ari.url.replace(/^http/, 'ws')}/events?app=security-observer&subscribeAll=true&api_key=${encodeURIComponent(Buffer.from(ari.auth.slice(6), 'base64').toString())}`);
  await new Promise((resolve, reject) => observer.once('open', resolve).once('error', reject));
  observer.on('message', (data) => {
    const event = JSON.parse(String(data)) as { type: string; channel?: { name: string } };
    if (event.type === 'ChannelCreated' && event.channel) created.push(event.channel.name);
  });
  t.teardown(() => observer.close());

  t.test('anonymous INVITEs to a customer number or a guessed extension are rejected', async (t) => {
    const targets = [CUSTOMER, customerCreds.username, 'echo', 's', '100', 'agent1', 'agent1-desk', 'trunk'];
    const claims = ['anonymous', 'agent1-desk', 'simulated-pstn', 'trunk'];
    const probes = [
      ...targets.map((to) => ({ to, fromUser: 'anonymous' })),
      ...claims.map((fromUser) => ({ to: CUSTOMER, fromUser })),
      // Guessed passwords answer the challenge: still refused.
      { to: CUSTOMER, fromUser: 'agent1-desk', credentials: { username: 'agent1-desk', password: 'demo' } },
      { to: CUSTOMER, fromUser: 'simulated-pstn', credentials: { username: 'simulated-pstn', password: 'simulated-pstn' } },
      { to: 'echo', fromUser: customerCreds.username, credentials: { username: customerCreds.username, password: 'guess' } },
    ];
    const results = await probeInvites(sipPort, probes);
    for (const r of results) {
      const statuses = r.responses.map((x) => x.status);
      const what = `INVITE to ${r.to} as ${r.fromUser}${r.credentials ? ' with a guessed password' : ''}`;
      t.ok(r.final && REJECTED.includes(r.final.status), `${what} is rejected (${statuses.join(', ') || 'no answer'})`);
      t.notOk(statuses.some((s) => s > 100 && s < 200) || statuses.some((s) => s >= 200 && s < 300), `${what} never rings nor connects`);
    }
    t.same(created, [], 'Asterisk created no channel for any of them');
    t.same(customer.events.filter((e) => e.type === 'CALL_INCOMING'), [], "the customer's phone never rang");
  });

  t.test("an agent's desk phone dialling a number itself reaches no one: the controller hangs up", async (t) => {
    for (const dialled of [CUSTOMER, customerCreds.username, '*97', 'echo']) {
      const mark = desk.events.length;
      const seen = created.length;
      await desk.dial(`sip:${dialled}@127.0.0.1:${sipPort}`);
      const closed = await desk.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, mark);
      t.notOk(desk.events.slice(mark).some((e) => e.type === 'CALL_ESTABLISHED'), `dialling ${dialled}: never connected (${closed.param})`);
      const channels = created.slice(seen);
      t.ok(channels.every((name) => name.startsWith('PJSIP/agent1-desk-')), `dialling ${dialled}: only the desk phone's own channel existed (${channels.join(', ') || 'none'})`);
    }
    t.same(customer.events.filter((e) => e.type === 'CALL_INCOMING'), [], "the customer's phone never rang");
    // The server's log reaches us through a pipe: give the last lines a moment.
    // Only what the agents' context matches (digits, +, *, #) reaches the controller; the chat phone's
    // name and "echo" are refused by the dialplan itself.
    const refusedLog = () => logEntries(server, 'hung up a call the controller did not place');
    for (let i = 0; i < 20 && refusedLog().length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    const refused = refusedLog();
    t.ok(refused.length >= 2, `the controller hung up the calls it did not place (${refused.length} logged)`);
    t.match(refused[0], { args: ['agent-dialed', CUSTOMER] }, 'the log says who dialled what');
    t.same((await ariGet<unknown[]>(ari, '/channels')), [], 'no channel is left in Asterisk');
  });

  t.test('ARI and SIP listen on 127.0.0.1 only; ARI refuses wrong credentials', async (t) => {
    const tcp = await listening('/proc/net/tcp', ari.port, '0A');
    const tcp6 = await listening('/proc/net/tcp6', ari.port, '0A');
    t.same(tcp, ['0100007F'], `ARI (port ${ari.port}) listens on 127.0.0.1 only`);
    t.same(tcp6, [], 'and not on IPv6');
    t.same(await listening('/proc/net/udp', sipPort), ['0100007F'], `SIP (udp ${sipPort}) is bound to 127.0.0.1 only`);
    t.same(await listening('/proc/net/udp6', sipPort), [], 'and not on IPv6');
    const wrong = await fetch(`${ari.url}/channels`, { headers: { authorization: 'Basic ' + Buffer.from('contact-center:wrong').toString('base64') } });
    t.equal(wrong.status, 401, 'ARI refuses a wrong password');
    await wrong.body?.cancel();
  });
});

// Local addresses (hex, as the kernel prints them) of sockets on `port`, optionally in one state.
async function listening(file: string, port: number, state?: string): Promise<string[]> {
  const rows = (await readFile(file, 'utf8')).trim().split('\n').slice(1);
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return rows
    .map((row) => row.trim().split(/\s+/))
    .filter((cols) => cols[1]?.endsWith(`:${hexPort}`) && (!state || cols[3] === state))
    .map((cols) => cols[1]!.split(':')[0]!);
}

// /admin/telephony against the real server and the Asterisk it starts: endpoint registration states and
// live channels read from ARI, for admins only; and a new desk-phone password made on /account that
// Asterisk takes at once, shown once.
import t from 'tap';
import { withAsterisk } from '../helpers/asterisk.ts';
import { Baresip } from '../helpers/baresip.ts';
import { agentGet, agentPost, setPresence, type Agent } from '../helpers/desktop-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { login, withServer } from '../helpers/fixtures.ts';
import { deskPasswordOf, sipPortOf, startChat, VOICE_ENV } from '../helpers/voice.ts';

const NUMBER = '+15551230051';

async function adminPage(agent: Agent): Promise<string> {
  const res = await agentGet(agent, '/admin/telephony');
  if (res.status !== 200) throw new Error(`GET /admin/telephony: ${res.status}`);
  return res.text();
}

async function accountPage(agent: Agent): Promise<string> {
  const res = await agentGet(agent, '/account');
  if (res.status !== 200) throw new Error(`GET /account: ${res.status}`);
  return res.text();
}

const row = (html: string, attr: string, value: string) => new RegExp(`<tr data-${attr}="${value}">[\\s\\S]*?</tr>`).exec(html)?.[0] ?? '';
const stateOf = (html: string, endpoint: string) => /class="state state-(\w+)"/.exec(row(html, 'endpoint', endpoint))?.[1];

t.test('the telephony admin page, and desk phone passwords on /account', async (t) => {
  const server = await withServer(t, { env: VOICE_ENV });
  const phones: Baresip[] = [];
  t.teardown(async () => {
    for (const p of phones) await p.stop();
  });
  const sipPort = sipPortOf(server);
  const phone = async (user: string, password: string) => {
    const p = await Baresip.start({ accounts: [{ user, password, sipPort, autoAnswer: true }] });
    phones.push(p);
    return p;
  };

  const anonymous = await fetch(`${server.url}/admin/telephony`, { redirect: 'manual' });
  t.equal(anonymous.status, 303, 'without a session: to the login page');
  t.equal(anonymous.headers.get('location'), '/login');
  const agent = await login(server, 'agent1'); // the demo's telephony admin
  const other = await login(server, 'agent2'); // an agent only

  const refused = await agentGet(other, '/admin/telephony');
  t.equal(refused.status, 403, 'an agent: 403 on the page');
  t.match(await refused.text(), /Not allowed/, 'the admin pages\' refusal page');
  const refusedPost = await agentPost(other, '/admin/telephony/desk-password');
  t.equal(refusedPost.status, 403, 'and on its old action');
  await refusedPost.text();

  let html = await adminPage(agent);
  // Asterisk's endpoint state follows a phone's REGISTER (or its contact's removal) a moment after the
  // phone itself sees it: the page is read until it shows `state` (or, after 5 s, as it is).
  const deskShown = (state: string) =>
    eventually(`agent1-desk ${state}`, async () => {
      const page = await adminPage(agent);
      return stateOf(page, 'agent1-desk') === state ? page : undefined;
    }, 5000).catch(() => adminPage(agent));
  for (const endpoint of ['agent1', 'agent1-desk', 'agent2', 'agent2-desk']) t.equal(stateOf(html, endpoint), 'offline', `admin: ${endpoint} is listed, not registered`);
  t.match(html, /No channels\./, 'no live channel');

  const account = await accountPage(agent);
  t.match(account, /<h2 id="desk-phone-title">Desk phone<\/h2>[\s\S]*<code>agent1-desk<\/code>/, '/account has a Desk phone section for the own endpoint');
  t.match(account, /No password set yet/, 'the desk phone has no password until one is made there');
  t.match(account, /Generate desk phone password/);
  t.match(await accountPage(other), /No password set yet/, 'every agent has the section, not only admins');
  const agentOnly = await agentPost(other, '/account/desk-password');
  t.equal(agentOnly.status, 200, 'an agent makes its own desk phone password');
  t.match(await agentOnly.text(), /<code class="endpoint">agent2-desk<\/code>/, 'for its own desk phone');
  const oldPassword = await deskPasswordOf(server, 'agent1');
  t.notMatch(await accountPage(agent), /No password set yet/, 'once made, the page says a password is set');
  const desk = await phone('agent1-desk', oldPassword);
  await desk.waitRegistered('agent1-desk');
  html = await deskShown('online');
  t.equal(stateOf(html, 'agent1-desk'), 'online', 'the registered desk phone shows online');
  t.equal(stateOf(html, 'agent1'), 'offline', 'the browser endpoint still offline');

  // A call through the controller: its channels show, with the interaction they belong to.
  const chat = await startChat(server, 'roadside', NUMBER);
  const res = await fetch(`${server.url}/api/v1/chats/${chat.id}/phone`, { method: 'POST', headers: { authorization: `Bearer ${chat.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'sip' }) });
  const customerLogin = (await res.json()) as { username: string; password: string };
  const customer = await phone(customerLogin.username, customerLogin.password);
  await customer.waitRegistered(customerLogin.username);
  await setPresence(agent, 'ready');
  t.equal((await agentPost(agent, `/desktop/interactions/${chat.id}/accept`)).status, 200, 'accepted');
  t.equal((await agentPost(agent, `/desktop/interactions/${chat.id}/call`)).status, 200, 'call placed');
  html = await eventually('both legs up', async () => {
    const page = await adminPage(agent);
    return [row(page, 'channel', '[^"]*-agent'), row(page, 'channel', '[^"]*-customer')].every((r) => r.includes('<td>Up</td>')) ? page : undefined;
  }, 15_000);
  t.match(row(html, 'channel', '[^"]*-agent'), new RegExp(`PJSIP/agent1-desk-[\\s\\S]*${chat.id} \\(agent\\)`), "the desk phone's channel, in the chat's interaction");
  t.match(row(html, 'channel', '[^"]*-customer'), new RegExp(`${chat.id} \\(customer\\)`), "the customer's channel, in the chat's interaction");
  t.match(row(html, 'endpoint', 'agent1-desk'), /<td>1<\/td>/, 'the desk endpoint has one channel');
  t.equal((await agentGet(other, '/admin/telephony')).status, 403, 'another agent sees none of this call');
  await agentPost(agent, `/desktop/interactions/${chat.id}/release`);
  await eventually('channels gone', async () => ((await adminPage(agent)).includes('No channels.') ? true : undefined), 10_000);

  // A new desk phone password: CSRF required, shown once, taken by Asterisk at once.
  t.equal((await agentPost(agent, '/account/desk-password', {}, { csrf: null })).status, 403, 'refused without the CSRF token');
  const renewed = await agentPost(agent, '/account/desk-password');
  t.equal(renewed.status, 200);
  t.equal(renewed.headers.get('cache-control'), 'no-store', 'never cached');
  const renewedHtml = await renewed.text();
  const newPassword = /<code class="password">([^<]+)<\/code>/.exec(renewedHtml)?.[1];
  t.ok(newPassword && newPassword !== oldPassword, 'a new password is shown');
  t.match(renewedHtml, /<code class="endpoint">agent1-desk<\/code>/, 'for the agent\'s own desk phone');
  t.notMatch(await accountPage(agent), newPassword!, 'and shown only once');
  t.notMatch(await adminPage(agent), newPassword!, 'nor on the admin page');
  t.notMatch(server.logs(), newPassword!, 'and never written to the log');

  t.equal(stateOf(await deskShown('offline'), 'agent1-desk'), 'offline', 'the phone registered with the old password is dropped');
  await desk.stop();
  const stale = await phone('agent1-desk', oldPassword);
  await stale.waitRegistrationFailed('agent1-desk');
  t.pass('the old password no longer registers: the phone says its registration was refused');
  t.equal(stateOf(await adminPage(agent), 'agent1-desk'), 'offline', 'and the page shows the desk phone offline');
  await stale.stop();
  const fresh = await phone('agent1-desk', newPassword!);
  await fresh.waitRegistered('agent1-desk');
  t.equal(stateOf(await deskShown('online'), 'agent1-desk'), 'online', 'the new password registers');

  // An admin resets agent2's password (a stolen session, say): agent2's desk phone goes with it.
  const agent2Desk = await deskPasswordOf(server, 'agent2');
  const agent2Phone = await phone('agent2-desk', agent2Desk);
  await agent2Phone.waitRegistered('agent2-desk');
  t.equal((await agentPost(agent, '/admin/agents/agent2/reset-password')).status, 200, "agent2's password is reset");
  await eventually('agent2-desk dropped', async () => (stateOf(await adminPage(agent), 'agent2-desk') === 'offline' ? true : undefined), 10_000);
  t.pass("the desk phone registered with agent2's desk password is dropped");
  await agent2Phone.stop();
  const again = await phone('agent2-desk', agent2Desk);
  await again.waitRegistrationFailed('agent2-desk');
  t.pass('and that desk password no longer registers');
  await again.stop();

  // agent1 changes its own password (after a stolen session, say): its desk phone goes with it too, as
  // with an admin's reset, since the session may have made that desk password.
  const changed = await agentPost(agent, '/account/password', { currentPassword: 'demo', newPassword: 'a brand new passphrase' });
  t.equal(changed.status, 200, "agent1's own password is changed");
  const agentAgain = await login(server, 'agent1', 'a brand new passphrase');
  await eventually('agent1-desk dropped', async () => (stateOf(await adminPage(agentAgain), 'agent1-desk') === 'offline' ? true : undefined), 10_000);
  t.pass('the desk phone registered with the desk password made before is dropped');
  await fresh.stop();
  const old = await phone('agent1-desk', newPassword!);
  await old.waitRegistrationFailed('agent1-desk');
  t.pass('and that desk password no longer registers');
  await old.stop();
});

t.test('without telephony the page says so', async (t) => {
  const server = await withServer(t);
  const agent = await login(server, 'agent1');
  t.match(await adminPage(agent), /Calling is not configured/);
  t.notMatch(await accountPage(agent), /Desk phone/, '/account has no Desk phone section');
  const res = await agentPost(agent, '/account/desk-password');
  t.equal(res.status, 503, 'no password without telephony');
  t.match(await res.text(), /Calling is not configured/);
  t.equal((await agentGet(await login(server, 'agent2'), '/admin/telephony')).status, 403, 'an agent: 403 all the same');
});

t.test('with Asterisk unreachable, a password changed or reset is done and answered, never a 500', async (t) => {
  const { asterisk, env } = await withAsterisk(t);
  const server = await withServer(t, { env: { ...VOICE_ENV, ...env } });
  const admin = await login(server, 'agent1');
  const other = await login(server, 'agent2');
  for (const agent of [admin, other]) t.equal((await agentPost(agent, '/account/desk-password')).status, 200, 'a desk phone password is made');
  await asterisk.stop();
  await eventually('ARI seen down', async () => {
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { ari: { state: string } };
    return health.ari.state === 'up' ? undefined : true;
  }, 15_000);

  const changed = await agentPost(admin, '/account/password', { currentPassword: 'demo', newPassword: 'changed while away 1' });
  t.equal(changed.status, 200, 'the own password change is answered');
  t.match(await changed.text(), /Password changed/);
  const reset = await agentPost(await login(server, 'agent1', 'changed while away 1'), '/admin/agents/agent2/reset-password');
  t.equal(reset.status, 200, "an admin's reset is answered");
  t.match(await reset.text(), /New password for agent2/, 'with the new password shown');
  t.notMatch(server.logs(), /renewing a desk phone password after a password change failed/, 'the desk phone passwords are renewed (stored; Asterisk gets them when back)');
});

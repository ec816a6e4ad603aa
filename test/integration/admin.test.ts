// Administration in the browser, over HTTP as its forms send it: who may (the 403 matrix by role),
// what is refused (a message next to the field, nothing changed), and what a change does (logins,
// sessions, offers, the audit trail). The browser side is test/e2e/admin.test.ts.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { ApiClient } from '../helpers/api-client.ts';
import { agentGet, agentPost, desktopPage, desktopSocketUrl, type Agent } from '../helpers/desktop-client.ts';
import { fieldError, shownPassword } from '../helpers/desktop-html.ts';
import { eventually } from '../helpers/eventually.ts';
import { acceptThenNotReady, chatWithReadyAgent, findCookie, login, openLoginForm, submitLogin, withServer } from '../helpers/fixtures.ts';
import { openSocket } from '../helpers/socket-probe.ts';

const server = await withServer(t);
const admin = await login(server, 'agent1');
const agent2 = await login(server, 'agent2');

const ADMIN_GETS = ['/admin/services', '/admin/services/new', '/admin/services/roadside/edit', '/admin/agents', '/admin/agents/new', '/admin/agents/agent2/edit', '/admin/audit', '/admin/telephony'];
const ADMIN_POSTS = ['/admin/services', '/admin/services/roadside', '/admin/services/roadside/disable', '/admin/services/roadside/enable', '/admin/agents', '/admin/agents/agent2', '/admin/agents/agent2/disable', '/admin/agents/agent2/enable', '/admin/agents/agent2/reset-password', '/admin/telephony/desk-password'];

const page = async (who: Agent, path: string) => {
  const res = await agentGet(who, path);
  return { status: res.status, html: await res.text() };
};
const post = async (who: Agent, path: string, form: Record<string, string> = {}) => {
  const res = await agentPost(who, path, form);
  return { status: res.status, html: await res.text() };
};
// Add agent (or an edit, at `path`), with one checkbox per service ticked, as a browser sends the form.
const postAgent = async (fields: Record<string, string>, serviceIds: string[], path = '/admin/agents') => {
  const form = new URLSearchParams(fields);
  for (const id of serviceIds) form.append('serviceIds', id);
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  return { status: res.status, html: await res.text() };
};

async function supervisorSession(): Promise<Agent> {
  const created = await postAgent({ username: 'sup1', displayName: 'Super Visor', role: 'supervisor', password: 'supervisor pass 1' }, ['roadside']);
  if (created.status !== 200) throw new Error(`creating the supervisor: ${created.status}`);
  return login(server, 'sup1', 'supervisor pass 1');
}

t.test('agents and supervisors get 403 on every admin page and action; nobody logged in goes to the login', async (t) => {
  const supervisor = await supervisorSession();
  for (const [who, session] of [['agent', agent2], ['supervisor', supervisor]] as const) {
    for (const path of ADMIN_GETS) t.equal((await page(session, path)).status, 403, `${who}: GET ${path}`);
    for (const path of ADMIN_POSTS) t.equal((await post(session, path, { name: 'Hijacked', role: 'admin' })).status, 403, `${who}: POST ${path}`);
  }
  t.equal((await fetch(`${server.url}/admin/agents`, { redirect: 'manual' })).status, 303, 'anonymous GET: to the login');
  t.match((await page(admin, '/admin/services')).html, /<tr data-service="roadside">[\s\S]*?Roadside Assistance[\s\S]*?Enabled/, 'nothing was changed by them');
  t.notMatch((await page(admin, '/admin/agents')).html, 'Hijacked');
  t.notMatch(await desktopPage(agent2), 'href="/admin/agents"', 'the agent desktop has no Admin link');
  t.notMatch((await page(agent2, '/account')).html, 'href="/admin/telephony"', 'nor /account a Telephony link');
  t.match(await desktopPage(admin), /<a href="\/admin\/agents">Admin<\/a>/, "the admin's desktop has one");
  t.match(await desktopPage(agent2), /<a href="\/account">Account<\/a>/, 'everyone has Account');
});

t.test('a POST without the CSRF token is refused and changes nothing', async (t) => {
  const res = await agentPost(admin, '/admin/services/roadside/disable', {}, { csrf: null });
  t.equal(res.status, 403);
  await res.text();
  t.match((await page(admin, '/admin/services')).html, /<tr data-service="roadside">[\s\S]*?Enabled/, 'still enabled');
});

t.test("an admin form sent after its session ended goes to the login page (a browser's form), or is 401 (any other client); nothing changes", async (t) => {
  const post = (accept: string) => fetch(new URL('/admin/services/roadside/disable', admin.baseUrl), { method: 'POST', headers: { accept, 'content-type': 'application/x-www-form-urlencoded' }, body: '_csrf=x', redirect: 'manual' });
  const browserForm = await post('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8');
  t.equal(browserForm.status, 303, "a browser's form: redirected");
  t.equal(browserForm.headers.get('location'), '/login', 'to the login page');
  const other = await post('*/*');
  t.equal(other.status, 401, 'another client: 401');
  t.match(await other.json(), { error: { code: 'not_logged_in' } });
  t.match((await page(admin, '/admin/services')).html, /<tr data-service="roadside">[\s\S]*?Enabled/, 'still enabled');
});

t.test('bad service input: a message next to the field, nothing saved', async (t) => {
  const valid = { id: 'towing', name: 'Towing', smsNumber: '' };
  const cases: Array<[string, Record<string, string>, number, string, RegExp]> = [
    ['an id that is not URL-safe', { ...valid, id: 'tow ing/1' }, 400, 'id', /lowercase letters/],
    ['a duplicate id', { ...valid, id: 'roadside' }, 409, 'id', /already exists/],
    ['an empty name', { ...valid, name: ' ' }, 400, 'name', /cannot be empty/],
    ['an invalid E.164 number', { ...valid, smsNumber: '555-1234' }, 400, 'smsNumber', /E\.164/],
    ['an SMS number another service has', { ...valid, smsNumber: '+15550009000' }, 409, 'smsNumber', /already the SMS number of Roadside Assistance/],
  ];
  for (const [what, form, status, field, message] of cases) {
    const answer = await post(admin, '/admin/services', form);
    t.equal(answer.status, status, `${what}: ${status}`);
    t.match(fieldError(answer.html, field), message, `${what}: said next to the field`);
    t.match(answer.html, `value="${form.name === ' ' ? ' ' : form.name}"`, `${what}: what was typed is kept`);
  }
  t.notMatch((await page(admin, '/admin/services')).html, 'data-service="towing"', 'no service was added');
});

t.test('U+0000 in any field of a form is refused before anything is saved, as on every store', async (t) => {
  const res = await agentPost(admin, '/admin/services', { id: 'nul-service', name: 'Tow\u0000ing', smsNumber: '' });
  t.equal(res.status, 400, 'a service form: 400');
  t.match(await res.json(), { error: { code: 'nul_character', message: /The field "name" must not contain the character U\+0000/ } });
  t.notMatch((await page(admin, '/admin/services')).html, 'data-service="nul-service"', 'no service was added');
  const account = await agentPost(admin, '/account/password', { currentPassword: 'demo', newPassword: 'a new\u0000password' });
  t.equal(account.status, 400, 'any other form too');
  // The same form sent as JSON (the routes read either), the text deep in a list.
  const json = await fetch(new URL('/admin/services', admin.baseUrl), {
    method: 'POST',
    headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'hx-request': 'true', 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'nul-json', name: 'Towing', smsNumber: '', dispositionCodes: ['Resolved', 'Tow\u0000ed'] }),
  });
  t.equal(json.status, 400, 'as JSON: 400');
  t.match(await json.json(), { error: { code: 'nul_character' } });
  t.notMatch((await page(admin, '/admin/services')).html, 'data-service="nul-json"', 'no service was added');
});

t.test('bad agent input: a message next to the field, nothing saved', async (t) => {
  const valid = { username: 'newbie', displayName: 'New Bie', role: 'agent', password: '' };
  const cases: Array<[string, Record<string, string>, number, string, RegExp]> = [
    ['a duplicate username', { ...valid, username: 'agent2' }, 409, 'username', /already taken/],
    ['a username that is not URL-safe', { ...valid, username: 'New Bie' }, 400, 'username', /lowercase/],
    ['an empty display name', { ...valid, displayName: '' }, 400, 'displayName', /cannot be empty/],
    ['a role that does not exist', { ...valid, role: 'root' }, 400, 'role', /Agent, Supervisor or Admin/],
    ['a weak password', { ...valid, password: 'secret' }, 400, 'password', /at least 10 characters/],
  ];
  for (const [what, form, status, field, message] of cases) {
    const answer = await postAgent(form, ['roadside']);
    t.equal(answer.status, status, `${what}: ${status}`);
    t.match(fieldError(answer.html, field), message, `${what}: said next to the field`);
  }
  t.notMatch((await page(admin, '/admin/agents')).html, 'data-agent="newbie"', 'no agent was added');
});

t.test('an admin adds a service and an agent serving only it; the agent is offered only its chats', async (t) => {
  const service = await post(admin, '/admin/services', { id: 'towing', name: 'Towing', autoDial: 'on', smsNumber: '+15550007777' });
  t.equal(service.status, 200);
  t.match(service.html, /<tr data-service="towing">[\s\S]*?Towing[\s\S]*?yes[\s\S]*?\+15550007777/);
  const created = await postAgent({ username: 'tow1', displayName: 'Tow Driver', role: 'agent', password: '' }, ['towing']);
  t.equal(created.status, 200);
  const password = shownPassword(created.html);
  t.ok(password && password.length >= 16, 'a generated password, shown once');
  t.notMatch((await page(admin, '/admin/agents')).html, password!, 'and not shown again');
  const tow1 = await login(server, 'tow1', password);

  const api = new ApiClient(server.url);
  await agentPost(tow1, '/desktop/presence', { presence: 'ready' }).then((r) => r.text());
  await agentPost(agent2, '/desktop/presence', { presence: 'ready' }).then((r) => r.text());
  const roadside = await api.createChat({ service: 'roadside' });
  const towing = await api.createChat({ service: 'towing' });
  t.teardown(async () => {
    await api.end(roadside).then((r) => r.text());
    await api.end(towing).then((r) => r.text());
  });
  t.match(await desktopPage(tow1), `/desktop/interactions/${towing.id}"`, 'tow1 is offered the towing chat');
  t.notMatch(await desktopPage(tow1), `/desktop/interactions/${roadside.id}"`, 'not the roadside one');
  t.notMatch(await desktopPage(agent2), `/desktop/interactions/${towing.id}"`, 'agent2 does not serve towing');
  await agentPost(agent2, '/desktop/presence', { presence: 'not_ready' }).then((r) => r.text());

  const audit = (await page(admin, '/admin/audit')).html;
  t.match(audit, /agent1<\/td><td>service\.created<\/td><td>service <code>towing<\/code>/, 'the audit trail names who, what and on which');
  t.match(audit, /agent1<\/td><td>agent\.created<\/td><td>agent <code>tow1<\/code>/);
  t.notMatch(audit, password!, 'never a password');
  t.notMatch(server.logs(), password!, 'no password in any log line');
});

t.test('a disabled service refuses new chats with a clear message; enabled again it takes them', async (t) => {
  t.equal((await post(admin, '/admin/services', { id: 'parking', name: 'Parking' })).status, 200, 'a service of its own');
  t.equal((await post(admin, '/admin/services/parking/disable')).status, 200);
  const api = new ApiClient(server.url);
  const refused = await api.request('POST', '/api/v1/chats', { json: { service: 'parking', name: 'Ann', phone: '+15551230001' } });
  t.equal(refused.status, 409);
  t.match(await refused.json(), { error: { code: 'service_disabled', message: /Parking is not taking new chats/ } });
  const customerPage = await fetch(`${server.url}/m/parking`);
  t.match(await customerPage.text(), /role="alert">Parking is not taking new chats/);
  t.equal((await post(admin, '/admin/services/parking/enable')).status, 200);
  const chat = await api.createChat({ service: 'parking' });
  await api.end(chat).then((r) => r.text());
});

t.test('disabling an agent ends its sessions at once and refuses its logins; enabling lets it in again', async (t) => {
  const created = await postAgent({ username: 'temp1', displayName: 'Temp One', role: 'agent', password: 'temporary pass 1' }, ['roadside']);
  t.equal(created.status, 200);
  const temp = await login(server, 'temp1', 'temporary pass 1');
  t.equal((await post(admin, '/admin/agents/temp1/disable')).status, 200);
  t.equal((await agentGet(temp, '/desktop')).status, 303, 'its page goes to the login');
  const htmx = await agentPost(temp, '/desktop/presence', { presence: 'ready' });
  t.equal(htmx.status, 401);
  t.equal(htmx.headers.get('hx-redirect'), '/login', 'htmx is sent to the login');
  const again = await submitLogin(server, 'temp1', 'temporary pass 1');
  t.equal(again.status, 403);
  t.match(await again.text(), 'This account is disabled');
  t.equal((await post(admin, '/admin/agents/temp1/enable')).status, 200);
  await login(server, 'temp1', 'temporary pass 1');
});

t.test('an agent disabled while its login checks the password is refused, not logged in', async (t) => {
  const created = await postAgent({ username: 'temp2', displayName: 'Temp Two', role: 'agent', password: 'temporary pass 2' }, ['roadside']);
  t.equal(created.status, 200);
  const submit = await openLoginForm(server);
  // The password check takes tens of milliseconds (scrypt): the admin's Disable lands meanwhile.
  const loggingIn = submit('temp2', 'temporary pass 2');
  t.equal((await post(admin, '/admin/agents/temp2/disable')).status, 200, 'disabled while the login is checked');
  const answer = await loggingIn;
  // Refused (the usual way the two meet), or logged in just before the Disable, which ended it: either
  // way the disabled agent holds no session that opens anything.
  t.ok([303, 403].includes(answer.status), `the login answered ${answer.status}`);
  const sid = findCookie(answer.headers, 'sid');
  if (sid) t.not((await agentGet({ cookie: `sid=${sid}`, csrf: '', baseUrl: server.url }, '/desktop')).status, 200, 'its session opens nothing');
  else t.equal(answer.status, 403, 'refused');
});

t.test("disabling an agent closes its desktop's socket with 'session ended' and hands its chat to another Ready agent", async (t) => {
  await postAgent({ username: 'leaver', displayName: 'Lea Ver', role: 'agent', password: 'leaving pass 1' }, ['roadside']);
  const leaver = await login(server, 'leaver', 'leaving pass 1');
  const api = new ApiClient(server.url);
  const chat = await chatWithReadyAgent(t, api, leaver);
  await acceptThenNotReady(leaver, chat);
  const socket = await openSocket(desktopSocketUrl(server.url), { headers: { cookie: leaver.cookie, origin: server.url } });
  const closed = new Promise<number>((resolve) => socket.ws.once('close', (code) => resolve(code)));
  await agentPost(agent2, '/desktop/presence', { presence: 'ready' }).then((r) => r.text());
  t.teardown(() => agentPost(agent2, '/desktop/presence', { presence: 'not_ready' }).then((r) => r.text()));

  t.equal((await post(admin, '/admin/agents/leaver/disable')).status, 200);
  t.equal(await closed, 4401, 'the page hears its session ended (and goes to the login)');
  await eventually('the chat offered to agent2', async () => (await desktopPage(agent2)).includes(`/desktop/interactions/${chat.id}"`) || undefined);
  const history = await agentGet(agent2, `/desktop/interactions/${chat.id}`);
  t.match(await history.text(), 'Back in the queue: Lea Ver was disabled', 'the timeline says why');
});

t.test('edits: a service keeps its id; an agent gets a new name, role and services; each audited before and after', async (t) => {
  const form = await page(admin, '/admin/services/claims/edit');
  t.match(form.html, /id="f-id" name="id" type="text" value="claims" readonly/, 'the id is shown, not editable');
  t.equal((await post(admin, '/admin/services/claims', { id: 'renamed', name: 'Claims and Damage', recordCalls: 'on' })).status, 200);
  t.match((await page(admin, '/admin/services')).html, /<tr data-service="claims">[\s\S]*?Claims and Damage/, 'renamed, same id');
  const edited = await agentPost(admin, '/admin/agents/agent2', { displayName: 'Agent Deux', role: 'supervisor', serviceIds: 'claims' });
  t.equal(edited.status, 200);
  t.match(await edited.text(), /<tr data-agent="agent2">[\s\S]*?Agent Deux[\s\S]*?Supervisor[\s\S]*?Claims and Damage<\/td>/);
  t.match((await page(admin, '/admin/audit')).html, /agent\.updated<\/td><td>agent <code>agent2<\/code><\/td><td>displayName: Agent Two; role: agent; serviceIds: roadside, claims[^<]*<\/td><td>displayName: Agent Deux; role: supervisor; serviceIds: claims/);
  const restored = await postAgent({ displayName: 'Agent Two', role: 'agent' }, ['roadside', 'claims'], '/admin/agents/agent2');
  t.equal(restored.status, 200, 'restored as the demo had it');
});

t.test('a service sent as JSON by a script: false is not ticked, and numbers are read as numbers', async (t) => {
  const json = await fetch(new URL('/admin/services', admin.baseUrl), {
    method: 'POST',
    headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'hx-request': 'true', 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'json-service', name: 'Glass', smsNumber: '', autoDial: false, recordCalls: false, serviceLevelSeconds: 45, wrapUpSeconds: 30 }),
  });
  t.equal(json.status, 200);
  const row = /<tr data-service="json-service">[\s\S]*?<\/tr>/.exec((await page(admin, '/admin/services')).html)?.[0] ?? '';
  t.match(row, /Glass<\/td><td>no<\/td><td><\/td><td>no<\/td><td>45 s<\/td>/, 'not auto-dialled, not recorded, a 45 s service level');
  t.match((await page(admin, '/admin/services/json-service/edit')).html, /name="wrapUpSeconds"[^>]*value="30"/, 'its wrap-up time as sent');
});

t.test("two admins edit the same record: the second save is refused instead of putting back what the first changed", async (t) => {
  const versionIn = (html: string) => /name="version" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const opened = versionIn((await page(admin, '/admin/services/roadside/edit')).html);
  t.ok(opened, 'the edit form carries the version it was drawn from');
  // Another admin (here a script, which sends no version) adds a canned response meanwhile.
  const canned = 'Hello {customer_name}, this is {agent_name}. How can I help?\nThank you {customer_name}, is there anything else I can do for you?';
  t.equal((await post(admin, '/admin/services/roadside', { name: 'Roadside Assistance', cannedResponses: `${canned}\nKept by the first admin` })).status, 200);
  const stale = await post(admin, '/admin/services/roadside', { name: 'Roadside Help', version: opened });
  t.equal(stale.status, 409, 'the form opened before that is refused');
  t.match(stale.html, /Another admin changed this service after you opened it/, 'saying why');
  t.match((await page(admin, '/admin/services/roadside/edit')).html, /Kept by the first admin/, 'the first change is kept');
  t.notMatch((await page(admin, '/admin/services')).html, /Roadside Help/, 'and the second not applied');
  const fresh = versionIn((await page(admin, '/admin/services/roadside/edit')).html);
  t.equal((await post(admin, '/admin/services/roadside', { name: 'Roadside Assistance', cannedResponses: canned, version: fresh })).status, 200, 'reloaded, the save goes through');

  const agentForm = versionIn((await page(admin, '/admin/agents/agent2/edit')).html);
  const saveAgent2 = async (displayName: string) => (await postAgent({ displayName, role: 'agent', version: agentForm }, ['roadside', 'claims'], '/admin/agents/agent2')).status;
  t.equal((await post(admin, '/admin/agents/agent2/disable')).status, 200, 'agent2 disabled meanwhile');
  t.equal(await saveAgent2('Agent 2'), 200, 'the form still saves: disabling is not a field of it');
  t.equal(await saveAgent2('Agent 2'), 200, 'sent again (as after a lost answer), the same save is no conflict');
  t.equal(await saveAgent2('Agent Zwei'), 409, 'another save from the form opened before is refused');
  t.equal((await post(admin, '/admin/agents/agent2/enable')).status, 200);
  t.equal((await postAgent({ displayName: 'Agent Two', role: 'agent' }, ['roadside', 'claims'], '/admin/agents/agent2')).status, 200, 'restored');
});

t.test('the last admin cannot be disabled or demoted', async (t) => {
  const refused = await post(admin, '/admin/agents/agent1/disable');
  t.equal(refused.status, 409);
  t.match(refused.html, /role="alert">Agent One is the last admin/);
  const demoted = await post(admin, '/admin/agents/agent1', { displayName: 'Agent One', role: 'agent', serviceIds: 'roadside' });
  t.equal(demoted.status, 409);
  t.match((await page(admin, '/admin/agents')).html, /<tr data-agent="agent1">[\s\S]*?Admin[\s\S]*?Enabled/, 'still an enabled admin');
});

t.test('Reset password: a new one shown once, the old one and its sessions end', async (t) => {
  await postAgent({ username: 'reset1', displayName: 'Reset One', role: 'agent', password: 'first password 1' }, []);
  const session = await login(server, 'reset1', 'first password 1');
  const reset = await post(admin, '/admin/agents/reset1/reset-password');
  const password = shownPassword(reset.html);
  t.ok(password);
  t.equal((await agentGet(session, '/desktop')).status, 303, 'the session ended');
  t.equal((await submitLogin(server, 'reset1', 'first password 1')).status, 401, 'the old password no longer works');
  await login(server, 'reset1', password);
});

t.test('/account: the current password is needed; the change ends the other sessions, not this one', async (t) => {
  await postAgent({ username: 'acct1', displayName: 'Account One', role: 'agent', password: 'original pass 1' }, ['roadside']);
  const here = await login(server, 'acct1', 'original pass 1');
  const elsewhere = await login(server, 'acct1', 'original pass 1');
  const wrong = await post(here, '/account/password', { currentPassword: 'not it at all', newPassword: 'replacement pass 1' });
  t.equal(wrong.status, 400);
  t.match(fieldError(wrong.html, 'currentPassword'), /not your current password/);
  const weak = await post(here, '/account/password', { currentPassword: 'original pass 1', newPassword: 'short' });
  t.match(fieldError(weak.html, 'newPassword'), /at least 10 characters/);
  t.equal((await agentGet(elsewhere, '/desktop')).status, 200, 'refusals end nothing');

  const changedRes = await agentPost(here, '/account/password', { currentPassword: 'original pass 1', newPassword: 'replacement pass 1' });
  const changed = { status: changedRes.status, html: await changedRes.text() };
  t.equal(changed.status, 200);
  t.match(changed.html, /role="status">Password changed\. Your other sessions end now/);
  t.equal((await agentGet(elsewhere, '/desktop')).status, 303, 'the other session ended');
  const sid = findCookie(changedRes.headers, 'sid');
  t.ok(sid && `sid=${sid}` !== here.cookie, 'this browser is given a new session id');
  t.equal((await agentGet(here, '/desktop')).status, 303, 'the old id opens nothing (whoever had copied it is out too)');
  t.equal((await agentGet({ ...here, cookie: `sid=${sid}` }, '/desktop')).status, 200, 'this browser goes on under the new one');
  await login(server, 'acct1', 'replacement pass 1');
  t.notMatch(server.logs(), 'replacement pass 1', 'no password in any log line');
});

t.test('/account: guessing the current password meets the login backoff', async (t) => {
  await postAgent({ username: 'guess1', displayName: 'Guess One', role: 'agent', password: 'guessed pass 1' }, []);
  const session = await login(server, 'guess1', 'guessed pass 1');
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await post(session, '/account/password', { currentPassword: `wrong ${i} guess`, newPassword: 'another pass 12' })).status);
  t.same(statuses, [400, 400, 400, 400, 400], 'the free attempts: each wrong guess is refused next to the field');
  const res = await agentPost(session, '/account/password', { currentPassword: 'guessed pass 1', newPassword: 'another pass 12' });
  t.equal(res.status, 429, 'then even the right one waits');
  t.ok(Number(res.headers.get('retry-after')) > 0);
  t.match(await res.text(), /Too many attempts\. Try again in/);
});

t.test("/account: someone else's failed logins as the agent neither lock this page nor are wiped by it", async (t) => {
  await postAgent({ username: 'lock1', displayName: 'Lock One', role: 'agent', password: 'locked pass 12' }, []);
  const session = await login(server, 'lock1', 'locked pass 12');
  // Six wrong guesses at the login from elsewhere: the username backs off there.
  for (let i = 0; i < 6; i++) await submitLogin(server, 'lock1', `attacker guess ${i}`);
  t.equal((await submitLogin(server, 'lock1', 'locked pass 12')).status, 429, 'the login waits (from a browser not known as hers)');
  const changed = await post(session, '/account/password', { currentPassword: 'locked pass 12', newPassword: 'changed pass 12' });
  t.equal(changed.status, 200, 'her own page still changes her password');
  t.equal((await submitLogin(server, 'lock1', 'changed pass 12')).status, 429, "and it did not wipe the attacker's backoff");
});

t.test('DEMO_DATA=off starts empty; npm run admin -- create-admin prints a one-time password that logs in', async (t) => {
  const empty = await withServer(t, { env: { DEMO_DATA: 'off' } });
  t.equal((await submitLogin(empty, 'agent1', 'demo')).status, 401, 'no demo agents');
  const customerPage = await fetch(`${empty.url}/m/roadside`);
  t.equal(customerPage.status, 404, 'no demo services');
  t.match(customerPage.headers.get('content-type'), /^text\/html/, "the customer's browser gets a page");
  const shown = await customerPage.text();
  t.match(shown, /<h1>No such service<\/h1>/, 'that says so');
  t.notMatch(shown, /roadside/, 'in its own words (a crafted address puts no text of its choosing on the page)');
  const { stdout } = await promisify(execFile)('npm', ['run', '-s', 'admin', '--', 'create-admin', 'boss'], { env: { ...process.env, DATA_DIR: empty.dataDir } });
  const password = stdout.trim().split('\n').at(-1)!;
  t.match(stdout, 'Admin boss created');
  const boss = await login(empty, 'boss', password);
  t.equal((await page(boss, '/admin/agents')).status, 200, 'the first admin manages agents');
  t.notMatch(empty.logs(), password, "the password is in no line of the server's log");
});

t.test('an SMS number an admin removed stays removed across a restart (SMS_NUMBERS seeds a first start only)', async (t) => {
  const first = await withServer(t);
  const boss = await login(first, 'agent1');
  const roadside = (html: string) => /<tr data-service="roadside">[\s\S]*?<\/tr>/.exec(html)?.[0] ?? '';
  t.match(roadside((await page(boss, '/admin/services')).html), '+15550009000', 'seeded at the first start');
  t.equal((await post(boss, '/admin/services/roadside', { id: 'roadside', name: 'Roadside Assistance', smsNumber: '' })).status, 200, 'removed by the admin');
  await first.stop();
  const again = await withServer(t, { dataDir: first.dataDir });
  const admin2 = await login(again, 'agent1');
  const row = roadside((await page(admin2, '/admin/services')).html);
  t.ok(row.includes('Roadside Assistance') && !row.includes('+15550009000'), 'still removed after the restart');
});

t.test('the audit trail is read page by page, back to the first change', async (t) => {
  // Enough changes for more than one page (200 a page).
  for (let i = 0; i < 205; i++) t.equal((await post(admin, '/admin/services/roadside', { name: `Roadside ${i}`, autoDial: '' })).status, 200);
  const first = (await page(admin, '/admin/audit')).html;
  t.match(first, /name: Roadside 204/, 'the newest change first');
  const older = /href="\/admin\/audit\?before=(\d+)"/.exec(first);
  t.ok(older, 'an Older changes link');
  const rest = (await page(admin, `/admin/audit?before=${older![1]}`)).html;
  t.match(rest, /service\.created|agent\.created|name: Roadside 0\b/, 'the older page reaches back');
  t.notMatch(rest, /name: Roadside 204/, 'not the newest again');
  t.equal((await page(admin, '/admin/audit?before=abc')).status, 400, 'a bad cursor is refused');
  await post(admin, '/admin/services/roadside', { name: 'Roadside Assistance', autoDial: '' });
});

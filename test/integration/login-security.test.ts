// The login form against guessing: failed logins per username back off, failed logins per address are
// capped, the demo password "demo" opens nothing from another machine, and a login for an unknown
// username hashes the password as one for a known username does (so its time tells nothing). Other
// machines are simulated on loopback: the servers trust the loopback proxy (TRUST_PROXY=loopback) and
// the tests send X-Forwarded-For.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { sleep } from '../helpers/eventually.ts';
import { agentPost } from '../helpers/desktop-client.ts';
import { findCookie, login, openLoginForm, submitLogin, withServer } from '../helpers/fixtures.ts';
import { findInputValue } from '../helpers/desktop-html.ts';
import type { TestServer } from '../helpers/server.ts';

const FAR = { 'x-forwarded-for': '203.0.113.5' };
// The throttles' servers have a password of their own, usable from the other (simulated) machines.
const OWN_PASSWORD = 'an agents own password';
const TRY_AGAIN = /Too many attempts\. Try again in (\d+) (seconds?|minutes)\./;

interface Attempt {
  status: number;
  retryAfter: number | null;
  page: string;
  session: boolean;
}

async function attempt(server: TestServer, username: string, password: string, headers: Record<string, string> = {}): Promise<Attempt> {
  const res = await submitLogin(server, username, password, headers);
  const retryAfter = res.headers.get('retry-after');
  return {
    status: res.status,
    retryAfter: retryAfter === null ? null : Number(retryAfter),
    page: await res.text(),
    session: res.headers.getSetCookie().some((c) => c.startsWith('sid=')),
  };
}

function isThrottled(t: Test, a: Attempt, what: string): void {
  t.equal(a.status, 429, `${what}: 429`);
  t.ok(a.retryAfter !== null && Number.isInteger(a.retryAfter) && a.retryAfter > 0, `${what}: Retry-After in whole seconds (${a.retryAfter})`);
  t.match(a.page, TRY_AGAIN, `${what}: the login page says when to try again`);
  t.match(a.page, /<label[^>]*>Username<\/label>/, `${what}: the form is still there`);
  t.notOk(a.session, `${what}: no session`);
}

t.test('failed logins of a username back off: the right password is refused until the wait is over', async (t) => {
  const server = await withServer(t, {
    env: { TRUST_PROXY: 'loopback', DEMO_AGENT_PASSWORD: OWN_PASSWORD, LOGIN_ATTEMPTS_BEFORE_BACKOFF: '3', LOGIN_BACKOFF_MAX_S: '2' },
  });

  const first = await attempt(server, 'agent1', 'guess-1', { 'x-forwarded-for': '198.51.100.1' });
  t.equal(first.status, 401, 'a first wrong password is just wrong');
  t.match(first.page, /Wrong username or password/);
  t.notMatch(first.page, TRY_AGAIN);
  // The guesses come from many addresses: the username's count is what stops them.
  const guesses: Attempt[] = [];
  for (let i = 2; i <= 17; i++) guesses.push(await attempt(server, 'agent1', `guess-${i}`, { 'x-forwarded-for': `198.51.100.${i}` }));
  t.equal(guesses[0]!.status, 401, 'the second is just wrong too');
  isThrottled(t, guesses[1]!, 'the third wrong password');
  t.match(guesses[1]!.page, /Wrong username or password\. Too many attempts/, 'which was wrong as well');
  t.ok(guesses.slice(2).every((g) => g.status === 429), 'every later guess is refused unchecked');

  const right = await attempt(server, 'agent1', OWN_PASSWORD, { 'x-forwarded-for': '198.51.100.99' });
  isThrottled(t, right, 'then the right password');

  const other = await attempt(server, 'agent2', OWN_PASSWORD);
  t.equal(other.status, 303, 'another agent logs in meanwhile');

  // An unknown username is counted the same way, so 429 tells nothing about which usernames exist.
  const unknown: number[] = [];
  for (let i = 0; i < 3; i++) unknown.push((await attempt(server, 'no-such-agent', `guess-${i}`)).status);
  t.same(unknown, [401, 401, 429], 'an unknown username backs off after as many attempts');

  await sleep((right.retryAfter ?? 2) * 1000 + 200);
  const later = await attempt(server, 'agent1', OWN_PASSWORD);
  t.equal(later.status, 303, 'once the wait is over, the right password logs in');
  t.ok(later.session, 'with a session');
  const again = await attempt(server, 'agent1', 'wrong');
  t.equal(again.status, 401, 'and a login clears the count: the next wrong password is just wrong');
});

t.test("a username's failures do not lock out a browser that logged in as that agent before", async (t) => {
  const server = await withServer(t, {
    env: { TRUST_PROXY: 'loopback', DEMO_AGENT_PASSWORD: OWN_PASSWORD, LOGIN_ATTEMPTS_BEFORE_BACKOFF: '3', LOGIN_BACKOFF_MAX_S: '60' },
  });
  const office = { 'x-forwarded-for': '198.51.100.200' };
  const before = await submitLogin(server, 'agent1', OWN_PASSWORD, office);
  t.equal(before.status, 303, 'agent1 logs in from the office browser');
  const device = before.headers.getSetCookie().find((c) => c.startsWith('device='))?.split(';')[0];
  t.ok(device, 'which is given a device cookie');
  t.match(before.headers.getSetCookie().find((c) => c.startsWith('device=')) ?? '', /HttpOnly/i, 'not readable by scripts');

  // Someone else fails on purpose as agent1, from many addresses.
  for (let i = 1; i <= 6; i++) await attempt(server, 'agent1', `guess-${i}`, { 'x-forwarded-for': `198.51.100.${i}` });
  isThrottled(t, await attempt(server, 'agent1', OWN_PASSWORD, { 'x-forwarded-for': '198.51.100.77' }), 'a browser agent1 never used');
  const forged = await attempt(server, 'agent1', OWN_PASSWORD, { ...office, cookie: 'device=made-up' });
  t.equal(forged.status, 429, 'a made-up device cookie is no way round');
  const back = await attempt(server, 'agent1', OWN_PASSWORD, { ...office, cookie: device! });
  t.equal(back.status, 303, 'the office browser still logs in');
  isThrottled(t, await attempt(server, 'agent1', OWN_PASSWORD, { 'x-forwarded-for': '198.51.100.78' }), "and that login does not lift the others' wait");
  // A copied cookie is no free pass: as many failures from it as a username's free attempts, and it is
  // known no more.
  for (let i = 0; i < 3; i++) t.equal((await attempt(server, 'agent1', `not it ${i}`, { ...office, cookie: device! })).status, 401, 'from the known browser a wrong password is just wrong');
  isThrottled(t, await attempt(server, 'agent1', OWN_PASSWORD, { ...office, cookie: device! }), 'after three, the browser waits like any other');
});

// Guesses sent all at once all pass the check for a wait that no guess has started yet: each must still
// count before its password is checked, and those past the free attempts are refused unchecked.
t.test('guesses sent all at once are checked no more often than guesses sent one by one', async (t) => {
  const server = await withServer(t, { env: { TRUST_PROXY: 'loopback', DEMO_AGENT_PASSWORD: OWN_PASSWORD, LOGIN_ATTEMPTS_BEFORE_BACKOFF: '3' } });
  const send = await openLoginForm(server);
  const burst = await Promise.all(
    Array.from({ length: 24 }, async (_, i) => {
      const res = await send('agent1', `burst-guess-${i}`, { 'x-forwarded-for': `198.51.100.${i + 1}` });
      return { status: res.status, page: await res.text() };
    }),
  );
  const checked = burst.filter((a) => /Wrong username or password/.test(a.page));
  t.ok(checked.length >= 3 && checked.length <= 4, `the free attempts and at most one more are checked (${checked.length} of 24)`);
  const refused = burst.filter((a) => !/Wrong username or password/.test(a.page));
  t.ok(refused.every((a) => a.status === 429 && TRY_AGAIN.test(a.page)), 'every other guess: 429, unchecked, with when to try again');

  const agent = await login(server, 'agent2', OWN_PASSWORD);
  const guesses = await Promise.all(
    Array.from({ length: 12 }, async (_, i) => {
      const res = await agentPost(agent, '/account/password', { currentPassword: `wrong guess ${i}`, newPassword: 'another pass 12' });
      return { status: res.status, page: await res.text() };
    }),
  );
  const judged = guesses.filter((g) => /not your current password/.test(g.page));
  t.ok(judged.length >= 3 && judged.length <= 4, `/account: the free attempts and at most one more are checked (${judged.length} of 12)`);
  t.ok(guesses.filter((g) => !/not your current password/.test(g.page)).every((g) => g.status === 429), '/account: the others wait (429)');
});

t.test('failed logins from one address are capped, whatever usernames it tries', async (t) => {
  const server = await withServer(t, { env: { TRUST_PROXY: 'loopback', DEMO_AGENT_PASSWORD: OWN_PASSWORD, LOGIN_FAILS_PER_ADDRESS_PER_HOUR: '4' } });
  const guesser = { 'x-forwarded-for': '198.51.100.7' };
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await attempt(server, `user-${i}`, 'guess', guesser)).status);
  t.same(statuses.slice(0, 3), [401, 401, 401], 'wrong logins are wrong');
  t.equal(statuses[3], 429, 'the fourth failure says to wait');
  isThrottled(t, await attempt(server, 'agent1', OWN_PASSWORD, guesser), 'then a right login from that address');
  t.equal((await attempt(server, 'agent1', OWN_PASSWORD, { 'x-forwarded-for': '198.51.100.8' })).status, 303, 'another address logs in (a password of ones own works from other machines)');
});

t.test('the demo password works on the server itself only, and from elsewhere the page says what to do', async (t) => {
  const server = await withServer(t, { env: { TRUST_PROXY: 'loopback', DEMO_AGENT_PASSWORD: '' } });
  for (const [username, password] of [['agent1', 'demo'], ['agent2', 'demo'], ['no-such-agent', 'demo']] as const) {
    const far = await attempt(server, username, password, FAR);
    t.equal(far.status, 403, `${username}/demo from another machine: 403`);
    t.notOk(far.session, 'no session');
    t.match(far.page, /works only in a browser on the server itself/, 'the page says why');
    t.match(far.page, /DEMO_AGENT_PASSWORD/, 'and which setting to use');
  }
  const forged = await attempt(server, 'agent1', 'demo', { 'x-forwarded-for': '127.0.0.1, 203.0.113.5' });
  t.equal(forged.status, 403, 'a client that names loopback first is still another machine');
  const near = await attempt(server, 'agent1', 'demo');
  t.equal(near.status, 303, 'on the server itself the quick start logs in');
  t.ok(near.session);
});

t.test('behind a proxy that is not trusted, a forwarded client is not on the server itself either', async (t) => {
  const server = await withServer(t, { env: { DEMO_AGENT_PASSWORD: '' } });
  const far = await attempt(server, 'agent1', 'demo', FAR);
  t.equal(far.status, 403, 'X-Forwarded-For names another machine: refused');
  t.equal((await attempt(server, 'agent1', 'demo', { forwarded: 'for=203.0.113.5' })).status, 403, 'Forwarded: too');
  t.equal((await attempt(server, 'agent1', 'demo', { 'x-real-ip': '203.0.113.5' })).status, 403, 'X-Real-IP: too');
});

t.test('a login for an unknown username runs the password hashing, as one for a known username does', async (t) => {
  const runs = join(await mkdtemp(join(tmpdir(), 'mcc-kdf-')), 'runs');
  t.teardown(() => rm(dirname(runs), { recursive: true, force: true }));
  const server = await withServer(t, {
    env: { LOGIN_ATTEMPTS_BEFORE_BACKOFF: '1000', LOGIN_FAILS_PER_ADDRESS_PER_HOUR: '1000', KDF_RUNS_FILE: runs },
    nodeArgs: ['--import', fileURLToPath(new URL('../helpers/count-kdf.ts', import.meta.url))],
  });
  const kdfRuns = async (username: string) => {
    const before = await countRuns(runs);
    t.equal((await attempt(server, username, 'not-the-password')).status, 401, `${username}: 401`);
    return (await countRuns(runs)) - before;
  };
  // The first unknown username also hashes the password nobody knows, once.
  t.ok((await kdfRuns('nobody-at-all')) >= 1, 'the first unknown username: the password is hashed');
  t.equal(await kdfRuns('agent1'), 1, 'a known username with a wrong password: hashed once');
  for (const username of ['nobody-1', 'nobody-2', 'nobody-3']) t.equal(await kdfRuns(username), 1, `unknown ${username}: hashed once too`);
});

async function countRuns(file: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).length;
}

t.test('a login whose fields are not text (JSON of another kind, a field sent twice) is a wrong login or a stale form, never a 500', async (t) => {
  const server = await withServer(t);
  const page = await fetch(`${server.url}/login`);
  const html = await page.text();
  const cookie = `csrf=${findCookie(page.headers, 'csrf')}`;
  const token = findInputValue(html, '_csrf')!;
  const post = (body: string, type: string) => fetch(`${server.url}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': type, cookie }, body });
  const json = (body: unknown) => post(JSON.stringify(body), 'application/json');
  t.equal((await json({ _csrf: token, username: {}, password: 'x' })).status, 401, 'a username that is an object');
  t.equal((await json({ _csrf: token, username: 'agent1', password: ['demo'] })).status, 401, 'a password that is an array');
  t.equal((await post(`_csrf=${token}&username=agent1&password=demo&password=demo`, 'application/x-www-form-urlencoded')).status, 401, 'a password field sent twice');
  t.equal((await json({ _csrf: 5, username: 'agent1', password: 'demo' })).status, 403, 'a CSRF token that is a number: the form is stale');
  t.equal((await json({ _csrf: token, username: 'agent1', password: 'demo' })).status, 303, 'the same form with text logs in');
  t.notMatch(server.logs(), /"level":50/, 'nothing was logged as an error');
});

// "Secrets stay secret": a realistic session against the real server and the Asterisk it starts, then
// every line it printed (and Asterisk's own log files) is searched for each secret handed out on the way.
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { ApiClient } from '../helpers/api-client.ts';
import { Baresip } from '../helpers/baresip.ts';
import { agentGet, agentPost, setPresence } from '../helpers/desktop-client.ts';
import { login, withServer } from '../helpers/fixtures.ts';
import { PNG } from '../helpers/images.ts';
import { ariCredentials, deskPasswordOf, sipPortOf, VOICE_ENV } from '../helpers/voice.ts';

t.test('no password, token, cookie or CSRF token reaches the log', async (t) => {
  const agentPassword = `pw-${randomBytes(12).toString('base64url')}`;
  const server = await withServer(t, { env: { ...VOICE_ENV, DEMO_AGENT_PASSWORD: agentPassword } });
  const secrets: Record<string, string> = {};
  const api = new ApiClient(server.url);

  // The agent logs in (once with a wrong password first), goes Ready; a customer chats, sends a photo
  // and context, opens its event socket, and gets its phone; the agent accepts and answers.
  const wrongPassword = `wrong-${randomBytes(12).toString('base64url')}`;
  await t.rejects(login(server, 'agent1', wrongPassword), 'a wrong password is refused');
  const agent = await login(server, 'agent1', agentPassword);
  Object.assign(secrets, { agentPassword, wrongPassword, sessionCookie: agent.cookie.slice('sid='.length), csrfToken: agent.csrf });
  await setPresence(agent, 'ready');
  const chat = await api.createChat({ phone: '+15551230071' });
  secrets.chatToken = chat.token;
  await api.say(chat, 'My car broke down');
  t.equal((await api.upload(chat, { bytes: PNG, type: 'image/png', name: 'car.png' })).status, 201, 'photo sent');
  t.equal((await api.request('POST', `/api/v1/chats/${chat.id}/context`, { token: chat.token, json: { fields: { plate: 'AB-123' } } })).status, 200);
  const events = await api.openEvents(chat.id, chat.token);
  t.equal(await api.eventsHandshakeStatus(chat.id, `${chat.token}x`), 403, 'a wrong token on the socket is refused');
  const phone = await api.request('POST', `/api/v1/chats/${chat.id}/phone`, { token: chat.token, json: { kind: 'sip' } });
  const customerSip = (await phone.json()) as { username: string; password: string };
  secrets.customerSipPassword = customerSip.password;
  t.equal((await agentPost(agent, `/desktop/interactions/${chat.id}/accept`)).status, 200, 'accepted');
  t.equal((await agentPost(agent, `/desktop/interactions/${chat.id}/messages`, { text: 'On my way' })).status, 200, 'agent answered');

  // Phones: the softphone's credentials, a desk phone's new password, and a desk phone registering with it.
  // A new softphone password is made on the page's POST only: a link from another site (a GET, or a
  // POST without the page's token) makes none.
  t.equal((await agentGet(agent, '/desktop/softphone')).status, 404, 'GET /desktop/softphone: 404');
  t.equal((await agentPost(agent, '/desktop/softphone', {}, { csrf: null })).status, 403, 'POST without the CSRF token: 403');
  const softphone = (await (await agentPost(agent, '/desktop/softphone')).json()) as { password: string };
  secrets.softphoneSipPassword = softphone.password;
  secrets.deskSipPassword = await deskPasswordOf(server, 'agent1', agentPassword);
  const desk = await Baresip.start({ accounts: [{ user: 'agent1-desk', password: secrets.deskSipPassword, sipPort: sipPortOf(server), autoAnswer: true }] });
  t.teardown(() => desk.stop());
  await desk.waitRegistered('agent1-desk');
  const ari = await ariCredentials(server);
  secrets.ariPassword = Buffer.from(ari.auth.slice('Basic '.length), 'base64').toString().split(':')[1]!;

  await events.close();
  t.equal((await api.end(chat)).status, 200, 'the customer ended the chat');
  await desk.stop();
  await server.stop();

  const asteriskLogs = join(server.dataDir, 'asterisk', 'log');
  const logFiles = await Promise.all((await readdir(asteriskLogs)).map((name) => readFile(join(asteriskLogs, name), 'utf8')));
  const output = [server.logs(), ...logFiles].join('\n');
  t.ok(output.includes(chat.id), 'the log does tell what happened (the chat is named)');
  // Nor any secret the test was never handed (one made at start, say): no log entry has a field that
  // names one.
  const secretFields = server
    .logs()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => Object.keys(JSON.parse(line) as object).filter((key) => /password|secret|token|cookie|authorization|credential/i.test(key)));
  t.same(secretFields, [], 'no log entry has a password, secret, token or cookie field');
  for (const [name, secret] of Object.entries(secrets)) {
    t.ok(secret.length >= 16, `${name} is a real secret`);
    t.notOk(output.includes(secret), `${name} is not in the log`);
  }
});

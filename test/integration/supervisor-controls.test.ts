// The supervisor's call page and actions over HTTP: who may (agents 403 everywhere), CSRF, refusals
// with their reason and status, one URL for the page and the htmx fragment. (Listen on a real call:
// test/e2e/supervision.test.ts.)
import t from 'tap';
import { agentGet, agentPost } from '../helpers/desktop-client.ts';
import { login, withServer } from '../helpers/fixtures.ts';
import { startChat } from '../helpers/voice.ts';

t.test("the supervisor's controls over HTTP", async (t) => {
  const server = await withServer(t);
  const chat = await startChat(server, 'roadside', '+15551230052');
  const admin = await login(server, 'agent1');
  const agent = await login(server, 'agent2');
  const path = (action: string) => `/supervisor/interactions/${chat.id}/${action}`;

  const page = await agentGet(admin, path('call'));
  const html = await page.text();
  t.equal(page.status, 200, 'an admin opens the call page');
  t.match(html, /<html/, 'a full page');
  for (const name of ['Listen', 'Whisper', 'Barge', 'Stop']) t.match(html, new RegExp(`<button[^>]*disabled[^>]*>${name}</button>`), `${name} is shown disabled`);
  t.match(html, /Listen: There is no call up in this chat\./, 'with the reason');
  const fragment = await (await agentGet(admin, path('call'), { htmx: true })).text();
  t.notMatch(fragment, /<html/, 'htmx gets the fragment');
  t.match(fragment, /class="supervisor-controls"/);

  const refused = await agentPost(admin, path('listen'));
  t.equal(refused.status, 409, 'Listen without a call is a conflict');
  t.match(await refused.text(), /role="alert">There is no call up in this chat\./, 'the controls say why');
  const noCsrf = await agentPost(admin, path('listen'), {}, { csrf: null });
  t.equal(noCsrf.status, 403, 'no CSRF token: refused');
  t.match(await noCsrf.text(), /bad_csrf_token/);
  t.equal((await agentGet(admin, `/supervisor/interactions/00000000-0000-0000-0000-000000000000/call`)).status, 404, 'an unknown interaction is 404');

  t.equal((await agentGet(agent, path('call'))).status, 403, "an agent gets 403 on the supervisor's page");
  for (const action of ['listen', 'whisper', 'barge', 'stop']) t.equal((await agentPost(agent, path(action))).status, 403, `an agent gets 403 on ${action}`);
  const anonymous = await fetch(`${server.url}${path('call')}`, { redirect: 'manual' });
  t.equal(anonymous.status, 303, 'not logged in: to the login page');
});

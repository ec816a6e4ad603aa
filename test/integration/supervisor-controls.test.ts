// The supervisor's controls on the Monitor page and their actions over HTTP: who may (agents 403
// everywhere), CSRF, refusals with their reason and status, htmx gets the controls and a plain form
// post goes back to Monitor. (Listen on a real call: test/e2e/supervision.test.ts.)
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

  const monitor = `/supervisor/interactions/${chat.id}`;
  const page = await agentGet(admin, monitor);
  const html = await page.text();
  t.equal(page.status, 200, 'an admin opens Monitor');
  const callPanel = html.match(/<section id="supervisor-call-[\s\S]*?<\/section>\s*<\/section>/)?.[0] ?? '';
  for (const name of ['Listen', 'Whisper', 'Barge', 'Stop']) t.match(callPanel, new RegExp(`<button[^>]*disabled[^>]*>${name}</button>`), `${name} is in the call panel, disabled`);
  t.match(callPanel, /Listen: There is no call up in this chat\./, 'with the reason');
  t.match(html, /<script type="module" src="\/public\/supervisor-phone.js">/, "Monitor carries the supervisor's phone");
  t.notMatch(html, /hx-trigger="every/, 'nothing polls: the controls are redrawn over the socket');
  const oldPage = await agentGet(admin, path('call'));
  t.equal(oldPage.status, 303, 'the former call page sends to Monitor');
  t.equal(oldPage.headers.get('location'), monitor);
  const fragment = await (await agentPost(admin, path('stop'))).text();
  t.notMatch(fragment, /<html/, 'a button (htmx) gets the controls only');
  t.match(fragment, /^<section id="supervisor-controls-[^"]+" class="supervisor-controls"/);
  const plain = await agentPost(admin, path('listen'), {}, { htmx: false });
  t.equal(plain.status, 303, 'a post without htmx goes back to Monitor');
  t.equal(plain.headers.get('location'), monitor);

  const refused = await agentPost(admin, path('listen'));
  t.equal(refused.status, 409, 'Listen without a call is a conflict');
  t.match(await refused.text(), /role="alert">There is no call up in this chat\./, 'the controls say why');
  t.equal(refused.headers.get('HX-Reswap'), 'outerHTML', 'and are swapped in all the same (htmx swaps no error answer unless told)');
  const noCsrf = await agentPost(admin, path('listen'), {}, { csrf: null });
  t.equal(noCsrf.status, 403, 'no CSRF token: refused');
  t.match(await noCsrf.text(), /bad_csrf_token/);
  t.equal((await agentGet(admin, `/supervisor/interactions/00000000-0000-0000-0000-000000000000/call`)).status, 404, 'an unknown interaction is 404');
  t.equal((await agentPost(admin, `/supervisor/interactions/00000000-0000-0000-0000-000000000000/listen`)).status, 404, 'on every action too');

  t.equal((await agentGet(agent, monitor)).status, 403, 'an agent gets 403 on Monitor');
  t.equal((await agentGet(agent, path('call'))).status, 403, 'and on the former call page');
  for (const action of ['listen', 'whisper', 'barge', 'stop']) t.equal((await agentPost(agent, path(action))).status, 403, `an agent gets 403 on ${action}`);
  const anonymous = await fetch(`${server.url}${path('call')}`, { redirect: 'manual' });
  t.equal(anonymous.status, 303, 'not logged in: to the login page');
});

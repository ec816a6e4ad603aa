// The supervisor's floor (/supervisor) and Monitor against the real server and SQLite: who may (403 to
// agents on every supervisor path and on its socket), what the floor lists, that it changes live over
// the page's socket, and that Monitor is read-only with the customer's text inert.
import t from 'tap';
import { agentGet, agentPost, type Agent } from '../helpers/desktop-client.ts';
import { PNG } from '../helpers/images.ts';
import { acceptedChat, acceptThenNotReady, chatWithReadyAgent, login, withDesk } from '../helpers/fixtures.ts';
import { HandshakeRefused, openSocket, type SocketProbe } from '../helpers/socket-probe.ts';

const { server, api, agent1, agent2 } = await withDesk(t);
const supervisor = await login(server, 'supervisor1');

const page = async (who: Agent, path: string, opts: { htmx?: boolean } = {}) => {
  const res = await agentGet(who, path, opts);
  return { status: res.status, html: await res.text() };
};

function floorSocket(who: Agent, query = '?view=floor'): Promise<SocketProbe> {
  const url = new URL(`/supervisor/ws${query}`, who.baseUrl);
  url.protocol = 'ws:';
  return openSocket(url.toString(), { headers: { cookie: who.cookie, origin: who.baseUrl } });
}

// The row of the live list that names this interaction.
const rowOf = (html: string, id: string) => html.match(new RegExp(`<tr data-interaction="${id}"[\\s\\S]*?</tr>`))?.[0];

t.test('agents get 403 on every supervisor page, action and on its socket; supervisors and admins get in', async (t) => {
  const chat = await acceptedChat(t, api, agent1);
  const paths = ['/supervisor', `/supervisor/interactions/${chat.id}`, `/supervisor/attachments/${chat.id}/x`, '/supervisor/nothing-here'];
  for (const path of paths) t.equal((await page(agent2, path)).status, 403, `agent: GET ${path}`);
  // Listen, Whisper, Barge, Stop (Monitor's call panel) sit under the same gate.
  for (const action of ['listen', 'whisper', 'barge', 'stop']) {
    const res = await agentPost(agent2, `/supervisor/interactions/${chat.id}/${action}`);
    t.equal(res.status, 403, `agent: POST ${action}`);
    await res.text();
  }
  const refused = await floorSocket(agent2).then(
    (probe) => (void probe.close(), 101),
    (err: unknown) => (err instanceof HandshakeRefused ? err.status : String(err)),
  );
  t.equal(refused, 403, "an agent's socket is refused before the handshake");
  t.equal((await fetch(`${server.url}/supervisor`, { redirect: 'manual' })).status, 303, 'nobody logged in: to the login');
  t.equal((await page(supervisor, '/supervisor')).status, 200, 'a supervisor gets the floor');
  t.equal((await page(agent1, '/supervisor')).status, 200, 'so does an admin');
  t.match((await page(agent1, '/desktop')).html, '<a href="/supervisor">Floor</a>', "an admin's desktop links to the floor");
  t.notMatch((await page(agent2, '/desktop')).html, 'href="/supervisor"', "an agent's does not");
});

t.test('a supervisor made an agent sees nothing more: its floor socket closes at the next change, its pages answer 403', async (t) => {
  const form = new URLSearchParams({ username: 'sup2', displayName: 'Sue Pervisor', role: 'supervisor', password: 'supervisor pass 2' });
  const created = await fetch(`${server.url}/admin/agents`, { method: 'POST', headers: { cookie: agent1.cookie, 'x-csrf-token': agent1.csrf, 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  t.equal(created.status, 200);
  await created.text();
  const sue = await login(server, 'sup2', 'supervisor pass 2');
  const probe = await floorSocket(sue);
  await probe.waitFor((f) => f.includes('id="floor-interactions"'), 'the floor');
  const closed = new Promise<number>((resolve) => probe.ws.once('close', (code) => resolve(code)));
  const demoted = await agentPost(agent1, '/admin/agents/sup2', { displayName: 'Sue Pervisor', role: 'agent' });
  t.equal(demoted.status, 200);
  await demoted.text();
  const chat = await api.createChat();
  t.teardown(async () => void (await api.end(chat)).text());
  t.equal(await closed, 4403, 'closed with "not allowed"');
  t.notOk(probe.frames.some((f) => f.includes(chat.id)), 'the new chat never reached it');
  t.equal((await page(sue, '/supervisor')).status, 403);
});

t.test('the floor lists every live interaction with service, agent, customer, state and media, and the agents with their presence', async (t) => {
  const active = await acceptedChat(t, api, agent1, { name: 'Alan Active' });
  // Nobody is Ready now: it waits.
  const waiting = await api.createChat({ name: 'Wanda Waiting' });
  t.teardown(async () => void (await api.end(waiting)).text());
  const { html } = await page(supervisor, '/supervisor');
  const waitingRow = rowOf(html, waiting.id);
  const activeRow = rowOf(html, active.id);
  t.match(waitingRow, /Wanda Waiting[\s\S]*Roadside Assistance[\s\S]*—[\s\S]*Waiting[\s\S]*Chat[\s\S]*class="timer" data-since="\d+"/, 'waiting: no agent yet, the chat counting since it arrived');
  t.match(activeRow, /Alan Active[\s\S]*Roadside Assistance[\s\S]*Agent One[\s\S]*In progress/);
  t.match(activeRow, `<a href="/supervisor/interactions/${active.id}">Monitor</a>`, 'a Monitor link per interaction');
  t.ok(html.indexOf(waiting.id) < html.indexOf(active.id), 'waiting chats come first');
  t.match(html, /<tr data-agent="agent1">[\s\S]*?Not Ready/, 'agents and their presence');
  t.match(html, /<tr data-agent="supervisor1">[\s\S]*?supervisor[\s\S]*?—<\/td>/, 'the demo supervisor serves no service');
  t.match(html, /<tr data-service="roadside">[\s\S]*?<td class="waiting">[1-9]\d*<\/td>[\s\S]*?<svg class="chart"/, 'the wallboard: chats waiting, and the chart of the last hours');
  const fragment = await page(supervisor, '/supervisor', { htmx: true });
  t.notMatch(fragment.html, '<html', 'htmx gets the parts, not the page');
  t.match(fragment.html, 'id="floor-interactions"');
});

t.test('the floor changes live over its socket: a new chat appears, then its agent', async (t) => {
  const probe = await floorSocket(supervisor);
  t.teardown(() => probe.close());
  await probe.waitFor((f) => f.includes('id="floor-interactions"'), 'the floor as it is now');
  const from = probe.frames.length;
  const chat = await chatWithReadyAgent(t, api, agent2, { name: 'Nina New' });
  await probe.waitFor((f) => rowOf(f, chat.id)?.includes('Nina New') === true, 'the new chat on the floor', { from });
  await acceptThenNotReady(agent2, chat);
  await probe.waitFor((f) => /Agent Two[\s\S]*In progress/.test(rowOf(f, chat.id) ?? ''), 'its agent, in progress', { from });
  await probe.waitFor((f) => /<tr data-agent="agent2">[\s\S]*?<td class="open">1<\/td>/.test(f), 'agent2 has one chat in progress');
  await (await api.end(chat)).text();
  await probe.waitFor((f) => f.includes('id="floor-interactions"') && !f.includes(chat.id), 'gone once ended');
});

t.test('Monitor: the timeline read-only and live, the customer text inert, photos and context shown', async (t) => {
  const chat = await acceptedChat(t, api, agent1, { name: '<b>Bold</b> Bob', context: { fields: { plate: '<script>alert(1)</script>' }, location: { lat: 48.1, lon: 11.5 } } });
  await api.say(chat, '<img src=x onerror=alert(1)>hello');
  const upload = await api.upload(chat, { bytes: PNG, type: 'image/png', name: 'dent.png' });
  t.equal(upload.status, 201);
  const { status, html } = await page(supervisor, `/supervisor/interactions/${chat.id}`);
  t.equal(status, 200);
  t.match(html, '&lt;img src=x onerror=alert(1)&gt;hello', 'the message is escaped');
  t.notMatch(html, '<img src=x', 'never markup');
  t.match(html, '&lt;b&gt;Bold&lt;/b&gt; Bob');
  t.match(html, '&lt;script&gt;alert(1)&lt;/script&gt;', 'context too');
  t.match(html, 'data-lat="48.1"', 'the map');
  t.match(html, /Agent One accepted the chat/);
  t.match(html, /id="supervisor-call-[^"]+" class="supervisor-call" aria-label="Call"[\s\S]*No call in progress/, 'the call panel');
  // The supervisor's own Listen / Whisper / Barge / Stop sit in the call panel; nothing acts on the interaction.
  const buttons = [...html.matchAll(/<button[^>]*hx-post="([^"]+)"[^>]*>([^<]*)<\/button>/g)].map((m) => `${m[2]} ${m[1]}`);
  t.same(buttons, ['Listen', 'Whisper', 'Barge', 'Stop'].map((name) => `${name} /supervisor/interactions/${chat.id}/${name.toLowerCase()}`), 'the only buttons: the supervision controls');
  t.equal([...html.matchAll(/hx-post/g)].length, 4, 'and no other post');
  for (const control of ['<form', '<textarea', 'Disconnect chat', 'End session', 'Accept', 'Send', 'Release call']) t.notMatch(html, control, `no control that acts: ${control}`);
  const photo = html.match(/src="(\/supervisor\/attachments\/[^"]+)"/)?.[1];
  t.ok(photo, 'the photo, from the supervisor path');
  const img = await agentGet(supervisor, photo!);
  t.equal(img.status, 200);
  t.equal(img.headers.get('content-type'), 'image/png');
  await img.arrayBuffer();
  t.equal((await agentGet(agent2, photo!)).status, 403, 'not to an agent');

  const lastSeq = Math.max(...[...html.matchAll(/data-seq="(\d+)"/g)].map((m) => Number(m[1])));
  const probe = await floorSocket(supervisor, '');
  t.teardown(() => probe.close());
  probe.send({ type: 'sync', interaction: chat.id, after: lastSeq });
  const panel = await probe.waitFor((f) => f.includes(`id="supervisor-call-${chat.id}"`), 'the call panel, as it is now');
  t.match(panel, new RegExp(`id="supervisor-controls-${chat.id}"[\\s\\S]*<button[^>]*disabled[^>]*>Listen</button>`), 'with the controls');
  await api.say(chat, 'live <u>line</u>');
  const frame = await probe.waitFor((f) => f.includes('live &lt;u&gt;line&lt;/u&gt;'), 'the new message, escaped');
  t.match(frame, `hx-swap-oob="beforeend:#messages-${chat.id}"`, 'appended to the timeline');
  await api.request('POST', `/api/v1/chats/${chat.id}/context`, { token: chat.token, json: { fields: { colour: 'red' } } }).then((r) => r.text());
  await probe.waitFor((f) => f.includes(`id="context-${chat.id}"`) && f.includes('colour'), 'the context, redrawn');
  t.notOk(probe.frames.some((f) => f.includes('id="floor-interactions"')), 'a Monitor page gets no floor');
  t.equal((await page(supervisor, '/supervisor/interactions/no-such-id')).status, 404);
});

t.test('the admin sets a service level target per service; a bad one is refused next to its field', async (t) => {
  const edit = await page(agent1, '/admin/services/claims/edit');
  t.match(edit.html, /<label for="f-serviceLevelSeconds">Service level target \(seconds\)<\/label>\s*<input id="f-serviceLevelSeconds" name="serviceLevelSeconds" type="number" value="20"/, 'the default, 20 s');
  const bad = await agentPost(agent1, '/admin/services/claims', { name: 'Claims', serviceLevelSeconds: '0' });
  t.equal(bad.status, 400);
  t.match(await bad.text(), /Enter a whole number of seconds from 1 to 3600/);
  const saved = await agentPost(agent1, '/admin/services/claims', { name: 'Claims', autoDial: 'on', serviceLevelSeconds: '45' });
  t.equal(saved.status, 200);
  await saved.text();
  t.match((await page(agent1, '/admin/services/claims/edit')).html, /name="serviceLevelSeconds" type="number" value="45"/);
  t.match((await page(supervisor, '/supervisor')).html, /<tr data-service="claims">[\s\S]*?\(45 s\)/, 'the wallboard counts against it');
});

// Wrap-up and the services' closure settings against the real server and a real SQLite file: an admin
// sets disposition codes, wrap-up time and canned responses; an agent in wrap-up gets no offer until
// Done; every refusal of Done is typed and changes nothing.
import t, { type Test } from 'tap';
import { agentGet, agentPost, desktopSocketUrl, setPresence, type Agent } from '../helpers/desktop-client.ts';
import { fieldError, presenceShown } from '../helpers/desktop-html.ts';
import { eventually } from '../helpers/eventually.ts';
import { acceptedChat, endChatAtTeardown, login, withDesk } from '../helpers/fixtures.ts';
import { openSocket } from '../helpers/socket-probe.ts';

const { server, api, agent1, agent2 } = await withDesk(t);

const text = async (res: Response) => ({ status: res.status, html: await res.text() });
const BASE = { name: 'Roadside Assistance', autoDial: '' };

// The roadside service with these closure settings (blank wrap-up time: none), back to none afterwards.
async function configureRoadside(t: Test, fields: Record<string, string>) {
  const form = { name: 'Roadside Assistance', dispositionCodes: 'Resolved\nFollow-up needed', afterWrapUp: 'ready', cannedResponses: 'Hi {customer_name}', ...fields };
  const res = await text(await agentPost(agent1, '/admin/services/roadside', form));
  t.equal(res.status, 200, 'service saved');
  t.teardown(async () => void (await agentPost(agent1, '/admin/services/roadside', { ...BASE, wrapUpSeconds: '0' })).text());
}

const presenceOf = async (agent: Agent) => presenceShown(await (await agentGet(agent, '/desktop')).text());
const wrapUp = (agent: Agent, id: string, form: Record<string, string>) => agentPost(agent, `/desktop/interactions/${id}/wrap-up`, form).then(text);

t.test('an admin sets disposition codes, wrap-up time, what follows it and canned responses; each change is audited', async (t) => {
  await configureRoadside(t, { wrapUpSeconds: '45', afterWrapUp: 'not_ready', cannedResponses: 'Hello {customer_name}\n\nBye from {agent_name}' });
  const edit = await text(await agentGet(agent1, '/admin/services/roadside/edit'));
  t.match(edit.html, /<textarea id="f-dispositionCodes" name="dispositionCodes" rows="4">Resolved\nFollow-up needed<\/textarea>/, 'codes, one per line');
  t.match(edit.html, /id="f-wrapUpSeconds" name="wrapUpSeconds" type="number" value="45"/);
  t.match(edit.html, /<option value="not_ready" selected>Not Ready<\/option>/);
  t.match(edit.html, /Hello \{customer_name\}\nBye from \{agent_name\}<\/textarea>/, 'blank lines dropped');
  const audit = await text(await agentGet(agent1, '/admin/audit'));
  t.match(audit.html, /service\.updated[\s\S]*?roadside/, 'the change is in the audit trail');
  t.match(audit.html, /Follow-up needed/, 'with the codes it set');

  const bad = await text(await agentPost(agent1, '/admin/services/roadside', { ...BASE, wrapUpSeconds: 'soon', afterWrapUp: 'later' }));
  t.equal(bad.status, 400);
  t.match(fieldError(bad.html, 'wrapUpSeconds'), /whole number of seconds from 0/);
  t.match(fieldError(bad.html, 'afterWrapUp'), /Ready or Not Ready/);
  t.match((await text(await agentGet(agent1, '/admin/services/roadside/edit'))).html, /name="wrapUpSeconds" type="number" value="45"/, 'nothing changed');
});

t.test('after Disconnect chat the agent is in wrap-up: no offer until Done, and Done is refused when wrong', async (t) => {
  await configureRoadside(t, { wrapUpSeconds: '300' });
  await setPresence(agent2, 'not_ready');
  await setPresence(agent1, 'ready');
  t.teardown(() => setPresence(agent1, 'not_ready'));
  const first = await api.createChat();
  endChatAtTeardown(t, api, first);
  t.equal((await agentPost(agent1, `/desktop/interactions/${first.id}/accept`)).status, 200);
  const ended = await text(await agentPost(agent1, `/desktop/interactions/${first.id}/disconnect`));
  t.match(ended.html, /<label for="disposition-[^"]+">Disposition<\/label>/, 'the panel shows Disposition');
  t.match(ended.html, /<label for="notes-[^"]+">Notes<\/label>/, 'Notes');
  t.match(ended.html, /<button type="submit">Done<\/button>/, 'and Done');
  t.equal(await presenceOf(agent1), 'wrap_up');
  t.equal((await agentPost(agent1, '/desktop/presence', { presence: 'ready' })).status, 409, 'Ready is refused during wrap-up');

  const second = await api.createChat();
  endChatAtTeardown(t, api, second);
  t.equal((await api.chat(second)).state, 'queued', 'the next chat waits: the agent is in wrap-up');

  const unknown = await wrapUp(agent1, first.id, { disposition: 'Bogus', notes: 'x' });
  t.equal(unknown.status, 400, 'an unknown code: 400');
  t.match(unknown.html, /not a disposition code of this service/);
  t.match(unknown.html, /<textarea id="notes-[^"]+" name="notes" rows="3" maxlength="2000">x<\/textarea>/, 'the form keeps what was typed');
  const foreign = await wrapUp(agent2, first.id, { disposition: 'Resolved', notes: '' });
  t.equal(foreign.status, 403, "Done on another agent's interaction: 403");
  t.equal((await api.chat(second)).state, 'queued', 'still no offer');
  t.equal(await presenceOf(agent1), 'wrap_up');

  const done = await wrapUp(agent1, first.id, { disposition: 'Resolved', notes: 'Tow <b>sent</b>' });
  t.equal(done.status, 200);
  t.match(done.html, /Disposition: <strong>Resolved<\/strong>/);
  await eventually('the waiting chat offered once Done', async () => ((await api.chat(second)).state === 'offered' ? true : undefined));
  t.pass('the waiting chat is offered once Done');
  t.equal(await presenceOf(agent1), 'ready', 'Ready again, as before the chat ended');

  const twice = await wrapUp(agent1, first.id, { disposition: 'Follow-up needed', notes: 'again' });
  t.equal(twice.status, 409, 'Done twice: 409');
  const history = await text(await agentGet(agent1, '/desktop/history'));
  t.match(history.html, new RegExp(`href="/desktop/history/${first.id}"[\\s\\S]*?<td>Resolved</td>`), 'the history lists the disposition');
  const timeline = await text(await agentGet(agent1, `/desktop/history/${first.id}`));
  t.equal(timeline.html.match(/Wrap-up by Agent One: Resolved/g)?.length, 1, 'one timeline entry, by the agent');
  t.match(timeline.html, /Notes: Tow &lt;b&gt;sent&lt;\/b&gt;/, 'notes are text, not markup');
});

t.test('Done needs a session and its CSRF token', async (t) => {
  const anonymous = await fetch(new URL('/desktop/interactions/any/wrap-up', agent1.baseUrl), { method: 'POST', headers: { 'hx-request': 'true' }, redirect: 'manual' });
  t.equal(anonymous.status, 401, 'no session');
  const forged = await agentPost(agent1, '/desktop/interactions/any/wrap-up', { disposition: 'Resolved' }, { csrf: null });
  t.equal(forged.status, 403, 'no CSRF token');
});

t.test('the list lets the chat go once wrapped up: at Done, and when the wrap-up time runs out', async (t) => {
  await configureRoadside(t, { wrapUpSeconds: '300' });
  const socket = await openSocket(desktopSocketUrl(agent1.baseUrl), { headers: { cookie: agent1.cookie, origin: agent1.baseUrl } });
  t.teardown(() => socket.close());
  const wrapUpItem = (html: string, id: string) => new RegExp(`/desktop/interactions/${id}"[\\s\\S]*?· Wrap-up<`).test(listOf(html));

  const first = await acceptedChat(t, api, agent1);
  await agentPost(agent1, `/desktop/interactions/${first.id}/disconnect`).then(text);
  t.ok(wrapUpItem(await (await agentGet(agent1, '/desktop')).text(), first.id), 'the ended chat is listed in Wrap-up');
  const done = await wrapUp(agent1, first.id, { disposition: 'Resolved', notes: '' });
  t.equal(done.status, 200);
  t.match(done.html, /<ul id="interaction-list"[^>]* hx-swap-oob="true"/, 'Done also redraws the list');
  t.notOk(wrapUpItem(done.html, first.id), 'without the chat');

  await configureRoadside(t, { wrapUpSeconds: '1' });
  const second = await acceptedChat(t, api, agent1);
  await agentPost(agent1, `/desktop/interactions/${second.id}/disconnect`).then(text);
  const from = socket.frames.length;
  const list = await socket.waitFor((f) => f.includes('id="interaction-list"') && !wrapUpItem(f, second.id), 'the list without the chat', { from, timeoutMs: 10_000 });
  t.notOk(wrapUpItem(list, second.id), 'the list pushed when the wrap-up time ran out no longer shows it');
});

t.test('an agent in wrap-up can log out: Not Ready, and Done still records the disposition later', async (t) => {
  await configureRoadside(t, { wrapUpSeconds: '300' });
  const leaving = await login(server, 'agent1'); // a session of its own: the other tests keep theirs
  const chat = await acceptedChat(t, api, leaving);
  await agentPost(leaving, `/desktop/interactions/${chat.id}/disconnect`).then(text);
  t.equal(await presenceOf(leaving), 'wrap_up');
  const out = await agentPost(leaving, '/logout');
  t.equal(out.status, 303, 'Log out is not refused during wrap-up');
  t.equal(out.headers.get('location'), '/login');
  t.not((await agentGet(leaving, '/desktop')).status, 200, 'the session is gone');
  t.equal(await presenceOf(agent1), 'not_ready', 'the agent is Not Ready: no chat is offered to a desk nobody sits at');
  t.equal((await wrapUp(agent1, chat.id, { disposition: 'Resolved', notes: 'left for the day' })).status, 200, 'Done afterwards still records it');
  t.equal(await presenceOf(agent1), 'not_ready', 'and leaves the agent Not Ready');
});

/** The interaction list in a page or fragment ('' when there is none). */
function listOf(html: string): string {
  return /<ul id="interaction-list"[\s\S]*?<\/ul>/.exec(html)?.[0] ?? '';
}

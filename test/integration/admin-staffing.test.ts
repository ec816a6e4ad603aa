// An admin is told when a service has no enabled agent left to take its chats: on the Services page
// (how many enabled agents serve each service) and on the Agents page, right after the change that
// left it so (a Disable, an edit that took the service away).
import t from 'tap';
import { agentGet, agentPost, type Agent } from '../helpers/desktop-client.ts';
import { login, withServer } from '../helpers/fixtures.ts';

const UNSTAFFED = 'No enabled agent serves';

t.test("a service nobody serves says so on the Services and Agents pages, until an enabled agent serves it", async (t) => {
  const server = await withServer(t);
  const admin = await login(server, 'agent1');
  const html = async (who: Agent, path: string) => (await agentGet(who, path)).text();
  const serviceRow = async (id: string) => (await html(admin, '/admin/services')).match(new RegExp(`<tr data-service="${id}">[\\s\\S]*?</tr>`))?.[0] ?? '';
  // As the browser sends the form: one serviceIds per ticked box.
  const postAgent = async (path: string, fields: Record<string, string>, serviceIds: string[]) => {
    const form = new URLSearchParams(fields);
    for (const id of serviceIds) form.append('serviceIds', id);
    const res = await agentPost(admin, path, form, { htmx: false });
    return { status: res.status, html: await res.text() };
  };

  t.notMatch(await html(admin, '/admin/agents'), UNSTAFFED, 'the demo services are all served');
  t.equal((await agentPost(admin, '/admin/services', { id: 'ferry', name: 'Ferry desk', smsNumber: '' })).status, 200);
  t.match(await serviceRow('ferry'), 'None: its chats wait in the queue', 'a new service: nobody serves it yet');
  t.match(await html(admin, '/admin/agents'), `${UNSTAFFED} Ferry desk`);

  const created = await postAgent('/admin/agents', { username: 'ferry1', displayName: 'Ferry One', role: 'agent', password: 'ferry password 1' }, ['ferry']);
  t.equal(created.status, 200);
  t.notMatch(created.html, UNSTAFFED, 'an agent serving it: no warning');
  t.match(await serviceRow('ferry'), /<td>1<\/td>/, 'one enabled agent serves it');

  const disabled = await agentPost(admin, '/admin/agents/ferry1/disable');
  t.match(await disabled.text(), `${UNSTAFFED} Ferry desk`, 'disabling the only one says so in its answer');
  t.match(await serviceRow('ferry'), 'None: its chats wait in the queue');
  await agentPost(admin, '/admin/agents/ferry1/enable').then((r) => r.text());
  const moved = await postAgent('/admin/agents/ferry1', { displayName: 'Ferry One', role: 'agent' }, ['roadside']);
  t.match(moved.html, `${UNSTAFFED} Ferry desk`, 'so does an edit that takes the service away');

  await agentPost(admin, '/admin/services/ferry/disable').then((r) => r.text());
  t.notMatch(await serviceRow('ferry'), 'None', 'a disabled service takes no chats: nothing to warn of');
  t.notMatch(await html(admin, '/admin/agents'), UNSTAFFED);
});

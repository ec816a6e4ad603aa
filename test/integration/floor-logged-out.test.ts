// The floor against the real server and SQLite: an agent with no session (never logged in, or logged
// out) shows as Logged out, apart from Not Ready (a break), on the agents' table and the wallboard.
import t from 'tap';
import { agentGet, agentPost, type Agent } from '../helpers/desktop-client.ts';
import { login, withServer } from '../helpers/fixtures.ts';

const floor = async (who: Agent) => (await agentGet(who, '/supervisor')).text();
const presenceOf = (html: string, agentId: string) => html.match(new RegExp(`<tr data-agent="${agentId}">[\\s\\S]*?<td class="presence[^"]*">([^<]*)</td>`))?.[1];
const roadside = (html: string, cell: string) => html.match(new RegExp(`<tr data-service="roadside">[\\s\\S]*?<td class="${cell}">(\\d+)</td>`))?.[1];

t.test('agents without a session are Logged out, not Not Ready; logging out moves an agent there', async (t) => {
  const server = await withServer(t);
  const supervisor = await login(server, 'supervisor1');
  const agent1 = await login(server, 'agent1');
  // agent2 never logs in.
  let html = await floor(supervisor);
  t.equal(presenceOf(html, 'agent1'), 'Not Ready', 'logged in, on a break');
  t.equal(presenceOf(html, 'agent2'), 'Logged out', 'never logged in');
  t.same([roadside(html, 'not-ready'), roadside(html, 'logged-out')], ['1', '1'], 'the wallboard tells them apart');

  const out = await agentPost(agent1, '/logout');
  t.equal(out.status, 303);
  html = await floor(supervisor);
  t.equal(presenceOf(html, 'agent1'), 'Logged out', 'after Log out');
  t.same([roadside(html, 'not-ready'), roadside(html, 'logged-out')], ['0', '2']);
});

// Reloading (or going back to) the address of a chat on the desktop: a chat that is no longer the
// agent's shows the desktop with the reason, never a JSON error nor anything of the chat; htmx restoring
// its history after a cache miss gets the whole page, not the panel fragment.
import t from 'tap';
import { agentGet, agentPost, setPresence } from '../helpers/desktop-client.ts';
import { acceptedChat, withDesk } from '../helpers/fixtures.ts';

const { api, agent1, agent2 } = await withDesk(t);

const restoreHeaders = { 'hx-request': 'true', 'hx-history-restore-request': 'true' };
/** The text of the desktop's alert when shown (not hidden). */
const alertOf = (html: string) => /<p id="desk-alert"[^>]*role="alert"(?![^>]* hidden)[^>]*>([^<]*)<\/p>/.exec(html)?.[1];

t.test('a chat transferred away: its address shows the desktop, the list and the reason, and nothing of the chat', async (t) => {
  const chat = await acceptedChat(t, api, agent1);
  await api.say(chat, 'My account number is 12345');
  await setPresence(agent2, 'ready');
  t.teardown(() => setPresence(agent2, 'not_ready'));
  t.equal((await agentPost(agent1, `/desktop/interactions/${chat.id}/transfer`, { to: 'agent:agent2' })).status, 200);
  t.equal((await agentPost(agent2, `/desktop/interactions/${chat.id}/accept-transfer`)).status, 200);

  for (const [how, headers, status] of [
    ['a reload', {}, 403],
    ['a history restore', restoreHeaders, 200],
  ] as const) {
    const res = await agentGet(agent1, `/desktop/interactions/${chat.id}`, { headers });
    const html = await res.text();
    t.equal(res.status, status, `${how}: ${status}`);
    t.match(res.headers.get('content-type'), /text\/html/, `${how}: a page, not JSON`);
    t.match(html, /<div class="desktop"/, `${how}: the desktop`);
    t.match(html, /<h2>Interactions<\/h2>/, `${how}: with the list`);
    t.match(alertOf(html), /not offered to you|now with another agent/, `${how}: saying why`);
    t.notMatch(html, /12345/, `${how}: nothing of the chat`);
    t.notMatch(html, new RegExp(`id="interaction-${chat.id}"`), `${how}: no panel`);
  }
});

t.test("a history restore of the agent's own chat gets the whole page with the panel", async (t) => {
  const chat = await acceptedChat(t, api, agent1);
  const res = await agentGet(agent1, `/desktop/interactions/${chat.id}`, { headers: restoreHeaders });
  const html = await res.text();
  t.equal(res.status, 200);
  t.match(html, /<html/, 'the whole document');
  t.match(html, /<div class="desktop"/, 'the desktop');
  t.match(html, new RegExp(`id="interaction-${chat.id}"`), 'with the panel');
  t.equal(alertOf(html), undefined, 'and no alert shown');
  const fragment = await (await agentGet(agent1, `/desktop/interactions/${chat.id}`, { htmx: true })).text();
  t.notMatch(fragment, /<div class="desktop"/, 'a plain htmx request still gets the panel alone');
});

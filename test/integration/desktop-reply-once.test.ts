// The desktop's composer gives every message it sends a client id (a fresh one with each composer it
// renders), so the same form posted twice (a browser resending a POST whose answer was lost) is one
// reply in the customer's chat. Real server, real SQLite store.
import t from 'tap';
import { agentGet, agentPost } from '../helpers/desktop-client.ts';
import { acceptedChat, withDesk } from '../helpers/fixtures.ts';

const clientIdOf = (html: string) => /name="client_id" value="([^"]+)"/.exec(html)?.[1];

t.test('the composer posted twice with its client id makes one reply; the next composer has a new id', async (t) => {
  const { api, agent1 } = await withDesk(t);
  const chat = await acceptedChat(t, api, agent1);
  const panel = await (await agentGet(agent1, `/desktop/interactions/${chat.id}`, { htmx: true })).text();
  const clientId = clientIdOf(panel);
  t.ok(clientId, 'the composer carries a client id');

  const path = `/desktop/interactions/${chat.id}/messages`;
  const first = await agentPost(agent1, path, { text: 'Help is on the way', client_id: clientId! });
  const again = await agentPost(agent1, path, { text: 'Help is on the way', client_id: clientId! });
  t.equal(first.status, 200);
  t.equal(again.status, 200, 'the repeat is answered as the first was');
  const nextId = clientIdOf(await again.text());
  t.ok(nextId && nextId !== clientId, 'the composer that comes back has a new client id');
  await first.text();
  const texts = (await api.messages(chat)).map((m) => m.text);
  t.equal(texts.filter((text) => text === 'Help is on the way').length, 1, 'the customer has the reply once');

  await (await agentPost(agent1, path, { text: 'Help is on the way', client_id: nextId! })).text();
  t.equal((await api.messages(chat)).filter((m) => m.text === 'Help is on the way').length, 2, 'the same words written again are a new reply');

  const refused = await agentPost(agent1, path, { text: '', client_id: 'kept-after-refusal' });
  t.equal(clientIdOf(await refused.text()), 'kept-after-refusal', 'a refused send keeps its client id for Send again');
});

t.test('another text under an id already used is a new reply; an id that names the customer\'s message is not reused', async (t) => {
  const { api, agent1 } = await withDesk(t);
  const chat = await acceptedChat(t, api, agent1);
  const path = `/desktop/interactions/${chat.id}/messages`;
  // A send whose outcome was unknown: the composer kept its id, the reply was stored meanwhile, and the
  // agent then wrote something else into the same composer.
  await (await agentPost(agent1, path, { text: 'Which exit are you near?', client_id: 'kept-id' })).text();
  await (await agentPost(agent1, path, { text: 'Is anyone hurt?', client_id: 'kept-id' })).text();
  const agentTexts = async () => (await api.messages(chat)).filter((m) => m.author === 'agent').map((m) => m.text);
  t.same(await agentTexts(), ['Which exit are you near?', 'Is anyone hurt?'], 'both replies reach the customer, once each');

  await api.say(chat, 'Exit 12', 'customer-id');
  const taken = await agentPost(agent1, path, { text: 'Thanks', client_id: 'customer-id' });
  const html = await taken.text();
  t.match(html, /another message/, 'the agent is told the send did not go');
  t.not(clientIdOf(html), 'customer-id', 'and Send again uses a new id, not the one that cannot be used');
  t.same(await agentTexts(), ['Which exit are you near?', 'Is anyone hurt?'], 'nothing stored under the customer\'s id');
});

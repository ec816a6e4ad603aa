// Transfer (cold) on the desktop against the real server: agent1 offers its chat to agent2, who sees
// the whole timeline and accepts; then the chat is agent2's alone. Unanswered, the offer returns to
// agent1 and the timeline says so. Every refusal is typed and moves nothing. Consult without a call is
// refused with its reason; the Transfer to list follows the agents' presence live.
import t from 'tap';
import { agentGet, agentPost, desktopSocketUrl, setPresence, type Agent } from '../helpers/desktop-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { acceptedChat, withDesk } from '../helpers/fixtures.ts';
import { openSocket } from '../helpers/socket-probe.ts';

const { api, agent1, agent2 } = await withDesk(t, { env: { OFFER_TIMEOUT_S: '2' } });

const text = async (res: Response) => ({ status: res.status, html: await res.text() });
const transfer = (agent: Agent, id: string, form: Record<string, string>) => agentPost(agent, `/desktop/interactions/${id}/transfer`, form).then(text);
const desktop = async (agent: Agent) => (await text(await agentGet(agent, '/desktop'))).html;
const panel = async (agent: Agent, id: string) => text(await agentGet(agent, `/desktop/interactions/${id}`, { htmx: true }));

t.test('Transfer to a Ready agent: the target sees the whole chat, accepts, and the first agent is free', async (t) => {
  const chat = await acceptedChat(t, api, agent1);
  await api.say(chat, 'My car broke down on the A1');
  await setPresence(agent2, 'ready');
  t.teardown(() => setPresence(agent2, 'not_ready'));

  const form = await panel(agent1, chat.id);
  t.match(form.html, /<label for="transfer-to-[^"]+">Transfer to<\/label>/, 'the panel has Transfer to');
  t.match(form.html, /<option value="agent:agent2">Agent Two<\/option>/, 'with the Ready agent');
  t.match(form.html, /<option value="service:roadside">Roadside Assistance<\/option>/, 'and a service');

  // agent1's page feeds the panel over its socket.
  const socket = await openSocket(desktopSocketUrl(agent1.baseUrl), { headers: { cookie: agent1.cookie, origin: agent1.baseUrl } });
  t.teardown(() => socket.close());
  socket.send({ type: 'sync', interaction: chat.id, after: 0 });
  await socket.waitFor((f) => f.includes('My car broke down on the A1'), 'the panel fed');

  const offered = await transfer(agent1, chat.id, { to: 'agent:agent2', note: 'Needs <b>a tow</b>' });
  t.equal(offered.status, 200);
  t.match(offered.html, /Transfer offered to Agent Two/);
  t.match(offered.html, /<button[^>]*>Cancel transfer<\/button>/);

  t.match(await desktop(agent2), new RegExp(`hx-post="/desktop/interactions/${chat.id}/accept-transfer"`), "the offer is in agent2's list");
  const seen = await panel(agent2, chat.id);
  t.equal(seen.status, 200, 'agent2 may open it');
  t.match(seen.html, /My car broke down on the A1/, 'with the whole timeline so far');
  t.match(seen.html, /Agent One offered a transfer to Agent Two: Needs &lt;b&gt;a tow&lt;\/b&gt;/, 'and the note, inert');
  t.equal((await agentPost(agent2, `/desktop/interactions/${chat.id}/messages`, { text: 'too early' })).status, 200);
  t.notOk((await api.messages(chat)).some((m) => m.text === 'too early'), 'agent2 cannot write before Accept');

  const accepted = await text(await agentPost(agent2, `/desktop/interactions/${chat.id}/accept-transfer`));
  t.equal(accepted.status, 200);
  t.match(accepted.html, /Agent Two accepted the transfer from Agent One/);
  await agentPost(agent2, `/desktop/interactions/${chat.id}/messages`, { text: 'Agent Two here' });
  await eventually('the customer reads agent2', async () => ((await api.messages(chat)).some((m) => m.text === 'Agent Two here') ? true : undefined));
  t.equal((await agentPost(agent1, `/desktop/interactions/${chat.id}/disconnect`)).status, 403, 'agent1 no longer handles it');
  t.notMatch(await desktop(agent1), new RegExp(`/desktop/interactions/${chat.id}"`), "it left agent1's list");
  // The page syncs its panels after each swap: the one it fed stays, what was said still there to read.
  const from = socket.frames.length;
  socket.send({ type: 'sync', interaction: chat.id, after: 0 });
  await agentGet(agent1, '/desktop'); // a round trip: the sync has been handled
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.notOk(socket.frames.slice(from).some((f) => f.includes(`id="interaction-${chat.id}"`)), "agent1's panel is not replaced");

  const history = await text(await agentGet(agent2, `/desktop/history/${chat.id}`));
  t.match(history.html, /Agent One offered a transfer to Agent Two/, 'history shows every step');
  t.match(history.html, /Agent One accepted the chat/, 'and every agent who worked it');
});

t.test('an offer nobody accepts returns to the first agent; Cancel transfer brings it back at once', async (t) => {
  const chat = await acceptedChat(t, api, agent1);
  await setPresence(agent2, 'ready');
  t.teardown(() => setPresence(agent2, 'not_ready'));
  t.equal((await transfer(agent1, chat.id, { to: 'agent:agent2' })).status, 200);
  const back = await eventually('the offer returns', async () => {
    const p = await panel(agent1, chat.id);
    return /returned to Agent One \(nobody accepted in time\)/.test(p.html) ? p : undefined;
  }, 8000);
  t.notMatch(back.html, /Cancel transfer/, 'no transfer in progress');
  t.equal((await panel(agent2, chat.id)).status, 403, 'agent2 no longer sees it');
  t.equal((await agentPost(agent2, `/desktop/interactions/${chat.id}/accept-transfer`)).status, 409, 'a late Accept is refused');

  t.equal((await transfer(agent1, chat.id, { to: 'agent:agent2' })).status, 200);
  const cancelled = await text(await agentPost(agent1, `/desktop/interactions/${chat.id}/cancel-transfer`));
  t.equal(cancelled.status, 200);
  t.match(cancelled.html, /Transfer to Agent Two cancelled/);
  t.equal((await panel(agent2, chat.id)).status, 403);
});

t.test('every refusal says why and moves nothing', async (t) => {
  const chat = await acceptedChat(t, api, agent1);
  await setPresence(agent2, 'not_ready');
  const cases: Array<[Record<string, string>, number, RegExp]> = [
    [{ to: 'agent:agent1' }, 409, /transfer it to another agent or a service/],
    [{ to: 'agent:agent2' }, 409, /This agent is not Ready/],
    [{ to: 'agent:nobody' }, 404, /No such agent/],
    [{ to: 'service:nowhere' }, 404, /No service/],
    [{ to: 'service:roadside' }, 409, /No other agent of Roadside Assistance is Ready/],
    [{ to: '' }, 400, /Transfer to must name an agent/],
  ];
  for (const [form, status, reason] of cases) {
    const res = await transfer(agent1, chat.id, form);
    t.equal(res.status, status, `${form.to}: ${status}`);
    t.match(res.html, reason);
  }
  t.equal((await transfer(agent2, chat.id, { to: 'agent:agent1' })).status, 403, 'only the agent handling the chat transfers it');
  t.notMatch((await panel(agent1, chat.id)).html, /offered a transfer/, 'nothing on the timeline');
  await api.end(chat);
  t.equal((await transfer(agent1, chat.id, { to: 'agent:agent2' })).status, 409, 'after the customer ended');
});

t.test('Consult needs a call with the customer: the panel says so, and the command is refused with the reason', async (t) => {
  const chat = await acceptedChat(t, api, agent1);
  await setPresence(agent2, 'ready');
  t.teardown(() => setPresence(agent2, 'not_ready'));
  const form = await panel(agent1, chat.id);
  t.match(form.html, /<button type="button" class="consult"[^>]* disabled aria-describedby="consult-reason-[^"]+">Consult<\/button>/, 'Consult is off');
  t.match(form.html, /Consult needs a call with the customer; use Transfer for the chat alone\./, 'with its reason');
  const refused = await agentPost(agent1, `/desktop/interactions/${chat.id}/consult`, { to: 'agent:agent2' });
  t.equal(refused.status, 409);
  t.same(await refused.json(), { error: { code: 'consult_needs_call', message: 'Consult needs a call with the customer; use Transfer for the chat alone.' } }, 'the API’s error answer, which the page shows in its alert');
  t.equal((await panel(agent2, chat.id)).status, 403, 'agent2 was offered nothing');
  t.equal((await agentPost(agent1, `/desktop/interactions/${chat.id}/complete-transfer`).then(text)).status, 409, 'nothing to complete');
  t.notMatch((await panel(agent1, chat.id)).html, /consulted/, 'nothing on the timeline');
});

t.test('Transfer to follows the agents live: an agent who becomes Ready (or not) is listed (or not) at once', async (t) => {
  const chat = await acceptedChat(t, api, agent1);
  await setPresence(agent2, 'not_ready');
  const socket = await openSocket(desktopSocketUrl(agent1.baseUrl), { headers: { cookie: agent1.cookie, origin: agent1.baseUrl } });
  t.teardown(() => socket.close());
  socket.send({ type: 'sync', interaction: chat.id, after: 0 });
  // Opening the panel's feed redraws its header once (with its Transfer to list): after that, a list means a change.
  await socket.waitFor((f) => f.includes(`id="status-${chat.id}"`), "the panel's header, drawn again as the feed opens");
  const select = `<select id="transfer-to-${chat.id}"`;
  let from = socket.frames.length;
  await setPresence(agent2, 'ready');
  t.teardown(() => setPresence(agent2, 'not_ready'));
  const listed = await socket.waitFor((f) => f.includes(select), 'the Transfer to list', { from });
  t.match(listed, /hx-swap-oob="true"/, 'swapped in place');
  t.match(listed, /<option value="agent:agent2">Agent Two<\/option>/, 'Agent Two is listed as soon as Ready');
  from = socket.frames.length;
  await setPresence(agent2, 'not_ready');
  const unlisted = await socket.waitFor((f) => f.includes(select), 'the Transfer to list again', { from });
  t.notMatch(unlisted, /agent:agent2/, 'and gone once Not Ready');
});

// History after a transfer, against the real server: both agents who worked a transferred chat find it
// in their history, open its whole timeline, its photos and its recordings read-only once it ended (not
// while it is live with the next agent), and see both named; only the last one gets the wrap-up form;
// an agent whose transfer offer returned unanswered keeps no access to it.
import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import { openStores } from '../../src/store/open-stores.ts';
import { agentGet, agentPost, setPresence, type Agent } from '../helpers/desktop-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { acceptedChat, withDesk } from '../helpers/fixtures.ts';
import { PNG } from '../helpers/images.ts';

const { server, api, agent1, agent2 } = await withDesk(t, { env: { OFFER_TIMEOUT_S: '2' } });

// A call's recording of this chat, stored where the server keeps them (as its telephony would once the
// call is over; the recording tests make real ones through Asterisk).
async function storedRecording(interactionId: string): Promise<string> {
  const stores = await openStores({ dataDir: server.dataDir }, (err) => {
    throw err;
  });
  const id = randomUUID();
  await stores.recordings.saveRecording({ id, interactionId, contentType: 'audio/wav', size: 0, recordedAt: Date.now() }, Buffer.from('the call'));
  await stores.close();
  return id;
}

const text = async (res: Response) => ({ status: res.status, html: await res.text() });
const history = async (agent: Agent) => (await text(await agentGet(agent, '/desktop/history'))).html;
const historyRow = (html: string, id: string) => new RegExp(`href="/desktop/history/${id}"[^]*?</tr>`).exec(html)?.[0] ?? '';
const offerTo = async (t: Test, from: Agent, to: Agent, id: string) => {
  await setPresence(to, 'ready');
  t.teardown(() => setPresence(to, 'not_ready'));
  t.equal((await agentPost(from, `/desktop/interactions/${id}/transfer`, { to: `agent:${to === agent1 ? 'agent1' : 'agent2'}` })).status, 200, 'transfer offered');
};

t.test('a transferred chat is in the history of both agents who worked it, whole and read-only', async (t) => {
  const chat = await acceptedChat(t, api, agent1);
  await api.say(chat, 'My car broke down on the A1');
  const photo = (await (await api.upload(chat, { bytes: PNG, type: 'image/png', name: 'car.png' })).json()) as { attachment: { id: string } };
  const recording = await storedRecording(chat.id);
  await offerTo(t, agent1, agent2, chat.id);
  t.equal((await agentPost(agent2, `/desktop/interactions/${chat.id}/accept-transfer`)).status, 200, 'agent2 accepts');
  await agentPost(agent2, `/desktop/interactions/${chat.id}/messages`, { text: 'Agent Two here' });
  t.equal((await text(await agentGet(agent1, `/desktop/history/${chat.id}`))).status, 403, 'while it is live with agent2, agent1 cannot open it');
  await api.end(chat);

  for (const [name, agent] of [['agent1', agent1], ['agent2', agent2]] as const) {
    const row = await eventually(`${name} finds it in history`, async () => historyRow(await history(agent), chat.id) || undefined);
    t.match(row, /Agent One, Agent Two/, `${name}'s history names both agents, in order`);
    const detail = await text(await agentGet(agent, `/desktop/history/${chat.id}`));
    t.equal(detail.status, 200, `${name} opens it`);
    t.match(detail.html, /Agents who worked it: Agent One, Agent Two/);
    t.match(detail.html, /ended at [^<]+ by customer\./, 'ended, by the customer');
    t.notMatch(detail.html, /Accepted by|now with/, 'no single holder named beside the agents who worked it');
    t.match(detail.html, /My car broke down on the A1/, 'the whole timeline: before the transfer');
    t.match(detail.html, /Agent Two here/, 'and after it');
    t.notMatch(detail.html, /<textarea[^>]*name="text"/, 'read-only: no composer');
    const image = await agentGet(agent, `/desktop/attachments/${chat.id}/${photo.attachment.id}`);
    t.equal(image.status, 200, `${name} sees the photo`);
    t.equal((await agentGet(agent, `/recordings/${recording}`)).status, 200, `${name} hears the recording`);
  }
  const first = (await text(await agentGet(agent1, `/desktop/history/${chat.id}`))).html;
  t.notMatch(first, /name="disposition"/, "agent1 gets no wrap-up form: agent2's to do");
  t.match(first, /Not done yet: Agent Two wraps it up\./, 'agent1 reads who owes it');
  t.match((await text(await agentGet(agent2, `/desktop/history/${chat.id}`))).html, /name="disposition"/, 'agent2 gets the wrap-up form');
  t.equal((await agentPost(agent1, `/desktop/interactions/${chat.id}/messages`, { text: 'still here?' })).status, 403, 'agent1 reads, never writes');
  // agent1 is also the demo's admin: the interactions export names both agents too.
  const csv = await (await agentGet(agent1, '/admin/interactions.csv')).text();
  t.match(csv.split('\r\n').find((line) => line.startsWith(chat.id)), /^[^,]+,Roadside Assistance,"Agent One, Agent Two",/, 'the export names every agent who worked it');
});

t.test('an agent whose transfer offer returned unanswered does not keep the chat', async (t) => {
  const chat = await acceptedChat(t, api, agent1);
  await api.say(chat, 'Only agent one should read this');
  await offerTo(t, agent1, agent2, chat.id);
  t.equal((await agentGet(agent2, `/desktop/history/${chat.id}`)).status, 200, 'while offered, agent2 reads the timeline so far');
  await eventually('the offer returns', async () => ((await agentGet(agent2, `/desktop/history/${chat.id}`)).status === 403 ? true : undefined), 8000);
  await api.end(chat);
  const row = await eventually('agent1 finds it in history', async () => historyRow(await history(agent1), chat.id) || undefined);
  t.match(row, /<td>Agent One<\/td>/, 'only agent1 worked it');
  t.equal(historyRow(await history(agent2), chat.id), '', "it is not in agent2's history");
  const refused = await text(await agentGet(agent2, `/desktop/history/${chat.id}`));
  t.equal(refused.status, 403, 'agent2 cannot open it');
  t.notMatch(refused.html, /Only agent one should read this/);
});

// agent2 first here: agent1 is also the demo's admin, who hears every recording.
t.test('while it is live with the next agent, the one before reads none of it; once it ended, all of it', async (t) => {
  const chat = await acceptedChat(t, api, agent2);
  const photo = (await (await api.upload(chat, { bytes: PNG, type: 'image/png', name: 'tyre.png' })).json()) as { attachment: { id: string } };
  const recording = await storedRecording(chat.id);
  await offerTo(t, agent2, agent1, chat.id);
  t.equal((await agentPost(agent1, `/desktop/interactions/${chat.id}/accept-transfer`)).status, 200, 'agent1 accepts');
  await agentPost(agent1, `/desktop/interactions/${chat.id}/messages`, { text: 'Agent One takes over' });
  const reads = async () => ({
    history: await text(await agentGet(agent2, `/desktop/history/${chat.id}`)),
    photo: (await agentGet(agent2, `/desktop/attachments/${chat.id}/${photo.attachment.id}`)).status,
    recording: (await agentGet(agent2, `/recordings/${recording}`)).status,
  });
  const live = await reads();
  t.same([live.history.status, live.photo, live.recording], [403, 403, 403], 'while live with agent1: no history page, photo or recording for agent2');
  t.notMatch(live.history.html, /Agent One takes over/, "agent1's messages stay unread");
  t.match(live.history.html, /now with another agent/, 'agent2 is told why');
  await api.end(chat);
  const ended = await reads();
  t.same([ended.history.status, ended.photo, ended.recording], [200, 200, 200], 'once it ended: all three');
  t.match(ended.history.html, /Agent One takes over/, 'the whole timeline');
});

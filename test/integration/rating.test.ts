// The customer's rating over the mobile API, against the real server and a real SQLite file: once per
// chat, only after it ended, only with its token; on the timeline, the history, the export and the
// wallboard; every answer documented in the OpenAPI document.
import t from 'tap';
import { agentGet, agentPost } from '../helpers/desktop-client.ts';
import { fetchOpenApi, undocumented } from '../helpers/openapi-check.ts';
import { acceptedChat, login, withDesk } from '../helpers/fixtures.ts';

const { server, api, agent1 } = await withDesk(t);
const rate = (id: string, json: unknown, token?: string) => api.request('POST', `/api/v1/chats/${id}/rating`, { json, token });
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

t.test('a rating is refused before the end, without the token, with a bad score; accepted once after the end', async (t) => {
  const chat = await acceptedChat(t, api, agent1);
  const early = await rate(chat.id, { score: 5 }, chat.token);
  t.equal(early.status, 409);
  t.match(await errorOf(early), { code: 'chat_not_ended' });
  t.notOk('rated' in (await api.chat(chat)), 'an open chat says nothing of a rating');
  t.equal((await agentPost(agent1, `/desktop/interactions/${chat.id}/disconnect`)).status, 200);
  t.equal((await api.chat(chat)).rated, false, 'ended: not rated yet, so the page offers Rate');

  const noToken = await rate(chat.id, { score: 5 });
  t.equal(noToken.status, 401);
  t.match(await errorOf(noToken), { code: 'missing_token' });
  const other = await acceptedChat(t, api, agent1);
  const wrongToken = await rate(chat.id, { score: 5 }, other.token);
  t.equal(wrongToken.status, 403, "another chat's token");
  for (const body of [{ score: 0 }, { score: 6 }, { score: 3.5 }, { score: '4' }, {}, { score: 4, comment: 'x'.repeat(1001) }, { score: 4, extra: 1 }]) {
    const res = await rate(chat.id, body, chat.token);
    t.equal(res.status, 400, JSON.stringify(body).slice(0, 40));
    t.match(await errorOf(res), { code: 'invalid_field', message: /\S/ });
  }

  const ok = await rate(chat.id, { score: 4, comment: '  Quick <b>help</b>  ' }, chat.token);
  t.equal(ok.status, 201);
  t.match(await ok.json(), { score: 4, comment: 'Quick <b>help</b>', rated_at: /^\d{4}-\d\d-\d\dT/ });
  const twice = await rate(chat.id, { score: 1 }, chat.token);
  t.equal(twice.status, 409);
  t.match(await errorOf(twice), { code: 'already_rated' });
  t.equal((await api.chat(chat)).rated, true, 'rated: a reloaded page shows no second form');

  const timeline = await (await agentGet(agent1, `/desktop/history/${chat.id}`)).text();
  t.equal(timeline.match(/Customer rated 4\/5: Quick &lt;b&gt;help&lt;\/b&gt;/g)?.length, 1, 'one timeline entry, the comment as text');
  const history = await (await agentGet(agent1, '/desktop/history')).text();
  t.match(history, new RegExp(`href="/desktop/history/${chat.id}"[\\s\\S]*?<td>4/5</td>`), 'the history lists it');
  const today = new Date().toISOString().slice(0, 10);
  const csv = await (await agentGet(agent1, `/admin/interactions.csv?from=${today}&to=${today}`)).text();
  t.match(csv.split('\r\n').find((l) => l.startsWith(chat.id)), /,4,Quick <b>help<\/b>$/, 'the export has it');
  const supervisor = await login(server, 'supervisor1');
  const floor = await (await agentGet(supervisor, '/supervisor')).text();
  t.match(floor, /<tr data-service="roadside">[\s\S]*?<td class="rating"[^>]*>\d\.\d \(\d+\)<\/td>/, "the wallboard shows the service's average today");
  const messages = await api.messages(chat);
  t.notOk(JSON.stringify(messages).includes('Quick'), 'the rating is not a message of the conversation');

  const { doc } = await fetchOpenApi(server.url);
  t.same(undocumented(doc, api.recorder), [], 'every answer is documented');
});

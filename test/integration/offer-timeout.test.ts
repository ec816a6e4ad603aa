// An offer the agent does not answer goes back: with OFFER_TIMEOUT_S=3 the Accept button disappears
// once its time is up, the agent is made Not Ready, and the chat waits for the next Ready agent. That it
// does not expire early is unit/routing.test.ts's, on a manual clock.
import t from 'tap';
import { agentPost, desktopPage, setPresence } from '../helpers/desktop-client.ts';
import { hasAcceptButton, listItem, presenceShown } from '../helpers/desktop-html.ts';
import { eventually, sleep } from '../helpers/eventually.ts';
import { withDesk } from '../helpers/fixtures.ts';

t.test('an unanswered offer goes back to the queue and the agent becomes Not Ready', async (t) => {
  const { api, agent1, agent2 } = await withDesk(t, { env: { OFFER_TIMEOUT_S: '3' } });

  await setPresence(agent1, 'ready');
  const chat = await api.createChat({ name: 'Tess Timeout' });
  const offered = await desktopPage(agent1);
  t.ok(hasAcceptButton(listItem(offered, chat.id) ?? '', chat.id), 'the offer shows an Accept button at first');
  t.equal((await api.chat(chat)).state, 'offered');

  // Polled, not slept: a loaded machine may run the expiry a little late, never early.
  const later = await eventually('the offer to expire', async () => {
    const page = await desktopPage(agent1);
    return listItem(page, chat.id) ? undefined : page;
  }, 15_000);
  t.notOk(listItem(later, chat.id), 'then the chat is gone from the desktop');
  t.notOk(hasAcceptButton(later, chat.id), 'and so is its Accept button');
  t.equal(presenceShown(later), 'not_ready', 'the agent who let it ring is Not Ready');
  t.equal((await api.chat(chat)).state, 'queued', 'the customer is waiting again');
  t.equal((await agentPost(agent1, `/desktop/interactions/${chat.id}/accept`)).status, 403, 'the expired offer can no longer be accepted');

  // The chat reaches the next agent who is actually there.
  await setPresence(agent2, 'ready');
  t.equal((await api.chat(chat)).state, 'offered');
  const page2 = await desktopPage(agent2);
  t.ok(hasAcceptButton(listItem(page2, chat.id) ?? '', chat.id), 'agent2, Ready, is offered it');
  const accepted = await agentPost(agent2, `/desktop/interactions/${chat.id}/accept`);
  t.equal(accepted.status, 200, 'and accepts it in time');
  t.same((await api.chat(chat)).agent, { name: 'Agent Two' });
  await sleep(3500);
  t.equal((await api.chat(chat)).state, 'active', 'an accepted chat does not time out');
  t.equal(presenceShown(await desktopPage(agent2)), 'ready', 'and its agent stays Ready');
});

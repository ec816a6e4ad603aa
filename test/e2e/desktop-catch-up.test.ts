// The agent desktop catching up after its socket was away, in real Chromium against the real server
// (no telephony): what changed meanwhile in an open chat's panel is drawn again, not only its timeline.
import t, { type Test } from 'tap';
import { ApiClient } from '../helpers/api-client.ts';
import { acceptOffered, pageMaker, readyDesktop, withBrowser, withServer } from '../helpers/fixtures.ts';
import { startFlakyLink } from '../helpers/flaky-link.ts';

// Maria's chat accepted on a desktop that reaches the server through a link the test can cut.
async function acceptedBehindLink(t: Test) {
  const server = await withServer(t);
  const link = await startFlakyLink(server.port);
  t.teardown(() => link.close());
  const pages = pageMaker(await withBrowser(t));
  const agent = await pages.newPage();
  await readyDesktop(agent, link.url);
  const api = new ApiClient(server.url);
  const chat = await api.createChat({ name: 'Maria' });
  await acceptOffered(agent);
  return { link, pages, agent, api, chat };
}

t.test('a video request made while the desktop was away shows Allow once it is back', async (t) => {
  const { link, pages, agent, api, chat } = await acceptedBehindLink(t);

  link.cut();
  await agent.locator('#connection[data-state="closed"]').waitFor();
  t.equal((await api.request('POST', `/api/v1/chats/${chat.id}/video`, { token: chat.token })).status, 201, 'the customer asks for video');
  link.restore();
  await agent.getByRole('button', { name: 'Allow' }).waitFor({ timeout: 30_000 });
  t.pass('Allow is offered once the desktop is back');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test('context the customer sent while the desktop was away is shown once it is back', async (t) => {
  const { link, pages, agent, api, chat } = await acceptedBehindLink(t);
  const context = agent.getByRole('region', { name: 'Context Information Area' });
  await context.getByText('No context sent.').waitFor();

  link.cut();
  await agent.locator('#connection[data-state="closed"]').waitFor();
  const sent = await api.request('POST', `/api/v1/chats/${chat.id}/context`, { token: chat.token, json: { fields: { plate: 'M-AB 123' }, location: { lat: 48.137, lon: 11.575 } } });
  t.equal(sent.status, 200, 'the customer sends context');
  link.restore();
  await context.getByText('M-AB 123').waitFor({ timeout: 30_000 });
  await context.getByText(/Location: 48\.13700, 11\.57500/).waitFor();
  t.pass('the context area shows it, with the location');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test("a panel brought back with the browser's Back shows the chat as it is now, not as it was", async (t) => {
  const server = await withServer(t);
  const pages = pageMaker(await withBrowser(t));
  const agent = await pages.newPage();
  await readyDesktop(agent, server.url);
  const api = new ApiClient(server.url);
  const first = await api.createChat({ name: 'Maria' });
  await acceptOffered(agent);
  const second = await api.createChat({ name: 'Luca' });
  await agent.getByRole('link', { name: 'Luca' }).waitFor();
  await agent.getByRole('button', { name: 'Accept' }).click();
  await agent.locator('section.interaction h2', { hasText: 'Luca' }).waitFor();
  t.equal((await api.end(first)).status, 200, "Maria ends her chat while Luca's is shown");
  await agent.goBack();
  await agent.locator('section.interaction h2', { hasText: 'Maria' }).waitFor();
  await agent.locator('section.interaction .state-ended').waitFor();
  t.ok(await agent.getByLabel('Message').isDisabled(), "Maria's panel, back from history, has its Message box off");
  await api.end(second);
  t.same(pages.pageErrors, [], 'no script errors');
});

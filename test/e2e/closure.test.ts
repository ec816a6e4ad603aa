// End to end in real Chromium against the real server: a canned response inserted, edited and sent;
// wrap-up holding the next offer back until Done; the customer's rating from the customer page.
import t from 'tap';
import { ApiClient } from '../helpers/api-client.ts';
import { agentPost } from '../helpers/desktop-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { endChatAtTeardown, login, logInPage, pageMaker, startChatPage, withBrowser, withServer } from '../helpers/fixtures.ts';

t.test('canned response, wrap-up until Done, then the next chat; the customer rates the chat', async (t) => {
  const server = await withServer(t);
  const api = new ApiClient(server.url);
  // The admin gives roadside a wrap-up time (the demo services have codes and canned responses).
  const admin = await login(server, 'agent1');
  const saved = await agentPost(admin, '/admin/services/roadside', { name: 'Roadside Assistance', wrapUpSeconds: '300', afterWrapUp: 'ready' });
  t.equal(saved.status, 200, 'wrap-up time set');
  const pages = pageMaker(await withBrowser(t));
  const agent = await pages.newPage();
  const customer = await pages.newPage();

  await logInPage(agent, server.url);
  await agent.getByRole('button', { name: 'Ready', exact: true }).click();
  await agent.locator('.presence-ready').waitFor();
  await startChatPage(customer, server.url, 'Maria', '+393331234567');
  await agent.getByRole('button', { name: 'Accept' }).click();
  const panel = agent.locator('section.interaction');
  await panel.waitFor();

  // Canned responses: inserted with the placeholders filled, edited, then sent by Send only.
  await agent.getByLabel('Canned responses').selectOption({ label: 'Hello Maria, this is Agent One. How can I help?' });
  const box = agent.getByLabel('Message');
  t.equal(await box.inputValue(), 'Hello Maria, this is Agent One. How can I help?', 'inserted into the Message box, placeholders filled');
  t.equal(await panel.locator('.entry-message.from-agent').count(), 0, 'nothing is sent by choosing it');
  await box.press('End');
  await box.pressSequentially(' Are you safe?');
  await agent.getByRole('button', { name: 'Send' }).click();
  await customer.getByText('Hello Maria, this is Agent One. How can I help? Are you safe?').waitFor();
  t.pass('the edited text reaches the customer');

  // Wrap-up: after Disconnect chat the agent records a disposition; no offer meanwhile.
  await agent.getByRole('button', { name: 'Disconnect chat' }).click();
  await agent.getByLabel('Disposition').waitFor();
  await agent.locator('.presence-wrap_up').waitFor();
  t.ok(await agent.getByRole('button', { name: 'Ready', exact: true }).isDisabled(), 'Ready is off during wrap-up');
  const next = await api.createChat({ name: 'Second customer' });
  endChatAtTeardown(t, api, next);
  t.equal((await api.chat(next)).state, 'queued', 'the second chat is not offered during wrap-up');
  await agent.getByLabel('Disposition').selectOption('Resolved');
  await agent.getByLabel('Notes').fill('Customer safe, tow truck sent');
  t.equal((await api.chat(next)).state, 'queued', 'still not offered before Done');
  await agent.getByRole('button', { name: 'Done' }).click();
  await agent.getByText('Disposition: Resolved').waitFor();
  await agent.getByRole('link', { name: /Second customer/ }).waitFor();
  await agent.getByRole('button', { name: 'Accept' }).waitFor();
  t.equal((await api.chat(next)).state, 'offered', 'offered once Done');
  await eventually('the presence shown Ready', async () => ((await agent.locator('.presence-ready').count()) === 1 ? true : undefined));

  // The customer rates the ended chat from the customer page; the agent's history shows it.
  await customer.getByText('Chat ended').first().waitFor();
  await customer.getByLabel('Rate').selectOption('4');
  await customer.getByLabel('Comment').fill('Quick and kind');
  await customer.getByRole('button', { name: 'Submit rating' }).click();
  await customer.getByText('Thank you for your rating.').waitFor();
  t.notOk(await customer.getByLabel('Rate').isVisible(), 'the form is gone: one rating per chat');
  await agent.goto(`${server.url}/desktop/history`);
  await agent.getByRole('cell', { name: '4/5' }).waitFor();
  await agent.getByRole('link', { name: 'Maria' }).click();
  await agent.getByText('Customer rated 4/5: Quick and kind').waitFor();
  await agent.getByText('Wrap-up by Agent One: Resolved. Notes: Customer safe, tow truck sent').waitFor();
  t.pass('rating and wrap-up are on the timeline');

  // When the customer ends the chat, the open panel gets the wrap-up form live.
  await agent.goto(`${server.url}/desktop`);
  await agent.getByRole('button', { name: 'Accept' }).click();
  await agent.locator('section.interaction .state-active').waitFor();
  await api.end(next);
  await agent.getByLabel('Disposition').waitFor();
  await agent.locator('.presence-wrap_up').waitFor();
  t.pass('wrap-up shown when the customer ended the chat');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test("Done in one tab shows the wrap-up done in the agent's other tab too, whose form goes", async (t) => {
  const server = await withServer(t);
  const api = new ApiClient(server.url);
  const admin = await login(server, 'agent1');
  t.equal((await agentPost(admin, '/admin/services/roadside', { name: 'Roadside Assistance', wrapUpSeconds: '300', afterWrapUp: 'ready' })).status, 200, 'wrap-up time set');
  const pages = pageMaker(await withBrowser(t));
  const first = await pages.newPage();
  await logInPage(first, server.url);
  await first.getByRole('button', { name: 'Ready', exact: true }).click();
  await first.locator('.presence-ready').waitFor();
  const chat = await api.createChat({ name: 'Maria' });
  endChatAtTeardown(t, api, chat);
  await first.getByRole('button', { name: 'Accept' }).click();
  await first.locator('section.interaction .state-active').waitFor();
  // The same agent's second tab (same browser, same session) on the same chat.
  const second = await first.context().newPage();
  await second.goto(`${server.url}/desktop/interactions/${chat.id}`);
  await second.locator('#connection[data-state="open"]').waitFor();

  await api.end(chat);
  for (const page of [first, second]) await page.getByLabel('Disposition').waitFor();
  t.pass('both tabs show the wrap-up form');
  await first.getByLabel('Disposition').selectOption('Resolved');
  await first.getByRole('button', { name: 'Done' }).click();
  await first.getByText('Disposition: Resolved').waitFor();
  await second.getByText('Disposition: Resolved').waitFor({ timeout: 10_000 });
  t.equal(await second.getByRole('button', { name: 'Done' }).count(), 0, 'the other tab has no Done left to click');
  t.same(pages.pageErrors, [], 'no script errors');
});

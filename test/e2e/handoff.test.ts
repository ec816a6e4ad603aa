// End to end in real Chromium against the real server, two agents and a customer: Agent One's
// Transfer to follows the agents' presence live; Agent One transfers the chat to Agent Two with a note; Agent Two sees the whole chat, accepts, and talks to the
// customer; Agent One's desktop lets the chat go. A transfer nobody accepts in time returns to Agent One.
import t, { type Test } from 'tap';
import { setPresence } from '../helpers/desktop-client.ts';
import { login, logInPage, pageMaker, startChatPage, withBrowser, withServer } from '../helpers/fixtures.ts';

t.test('Transfer to a Ready agent, accepted in the other desktop', async (t) => {
  const { server, pages, one, two, customer } = await chatWithAgentOne(t);
  await customer.getByLabel('Message').fill('My tyre is flat near Milan');
  await customer.getByRole('button', { name: 'Send' }).click();
  await one.getByText('My tyre is flat near Milan').waitFor();

  // Agent One's Transfer to follows Agent Two's presence as it changes, with no reload.
  const listed = one.getByLabel('Transfer to').locator('option', { hasText: 'Agent Two' });
  await two.getByRole('button', { name: 'Ready', exact: true }).click();
  await listed.waitFor({ state: 'attached' });
  await two.getByRole('button', { name: 'Not Ready', exact: true }).click();
  await listed.waitFor({ state: 'detached' });
  t.pass('Agent Two leaves the list when Not Ready');
  // A choice being made stays made while the list is redrawn.
  await two.getByRole('button', { name: 'Ready', exact: true }).click();
  await listed.waitFor({ state: 'attached' });
  await one.getByLabel('Transfer to').selectOption({ label: 'Agent Two' });
  await setPresence(await login(server, 'supervisor1'), 'ready');
  await one.getByLabel('Transfer to').locator('option', { hasText: 'Supervisor One' }).waitFor({ state: 'attached' });
  t.equal(await one.getByLabel('Transfer to').inputValue(), 'agent:agent2', 'Agent Two is still chosen after the list was redrawn');
  await one.getByLabel('Note').fill('Flat tyre, wants a tow');
  await one.getByRole('button', { name: 'Transfer', exact: true }).click();
  await one.getByText('Transfer offered to Agent Two').waitFor();
  t.ok(await one.getByRole('button', { name: 'Cancel transfer' }).isVisible(), 'Agent One can still cancel');

  // Agent Two's list gets the offer live; the panel shows the whole chat and the note.
  await two.getByRole('link', { name: 'Maria' }).click();
  await two.getByText('My tyre is flat near Milan').waitFor();
  await two.getByText('Agent One offered a transfer to Agent Two: Flat tyre, wants a tow').waitFor();
  // The push that lets Agent Two write usually lands before Accept's own answer, and Agent Two may
  // already be typing when that answer redraws the panel: held back here, it must not wipe the draft.
  let releaseAnswer = () => {};
  const typed = new Promise<void>((resolve) => (releaseAnswer = resolve));
  await two.route('**/accept-transfer', async (route) => {
    const answer = await route.fetch();
    await typed;
    await route.fulfill({ response: answer });
  });
  await two.locator('section.interaction').getByRole('button', { name: 'Accept' }).click();
  await two.getByText('Agent Two accepted the transfer from Agent One').waitFor();
  await two.getByLabel('Message').fill('Agent Two here, a tow truck is on its way');
  // The box drawn by the push is marked: the answer's redraw is a box without the mark.
  await two.getByLabel('Message').evaluate((el) => el.setAttribute('data-pushed', ''));
  releaseAnswer();
  await two.locator('section.interaction textarea[id^="message-"]:not([data-pushed])').waitFor();
  t.equal(await two.getByLabel('Message').inputValue(), 'Agent Two here, a tow truck is on its way', "Accept's answer keeps what Agent Two typed meanwhile");
  await two.getByRole('button', { name: 'Send' }).click();
  await customer.getByText('Agent Two here, a tow truck is on its way').waitFor();
  t.pass('the customer talks with Agent Two');

  await one.getByText('No chats yet.').waitFor();
  t.pass("the chat left Agent One's list");
  // The list and the panel's composer are pushed as separate fragments: waited for, not read once.
  await one.locator('form.composer button[disabled]', { hasText: 'Send' }).waitFor();
  t.pass('Agent One can no longer write in it');
  await customer.getByLabel('Message').fill('Thanks!');
  await customer.getByRole('button', { name: 'Send' }).click();
  await two.getByText('Thanks!').waitFor();
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test('Transfer nobody accepts in time: the chat returns to Agent One, who goes on with the customer', async (t) => {
  const { pages, one, two, customer } = await chatWithAgentOne(t, { OFFER_TIMEOUT_S: '4' });

  await two.getByRole('button', { name: 'Ready', exact: true }).click();
  await one.getByLabel('Transfer to').locator('option', { hasText: 'Agent Two' }).waitFor({ state: 'attached' });
  await one.getByLabel('Transfer to').selectOption({ label: 'Agent Two' });
  await one.getByRole('button', { name: 'Transfer', exact: true }).click();
  await one.getByText('Transfer offered to Agent Two').waitFor();
  await two.getByRole('link', { name: 'Maria' }).waitFor();
  t.pass("the offer reached Agent Two's list");
  // Agent One writes meanwhile: the offer's return, pushed live, keeps the draft and the focus.
  const message = one.getByLabel('Message');
  await message.fill('half typed');

  // Nobody clicks Accept: the offer's time runs out.
  await one.getByText(/returned to Agent One \(nobody accepted in time\)/).waitFor({ timeout: 20_000 });
  await one.getByLabel('Transfer to').waitFor();
  t.equal(await message.inputValue(), 'half typed', 'the Message box still holds what Agent One was typing');
  t.ok(await message.evaluate((el) => el === document.activeElement), 'and still has the focus');
  await two.getByText('No chats yet.').waitFor();
  t.pass("the offer left Agent Two's list");
  t.notOk(await one.getByRole('button', { name: 'Cancel transfer' }).isVisible(), 'no transfer is in progress any more');
  await message.fill('Still with you, Maria');
  await one.getByRole('button', { name: 'Send' }).click();
  await customer.getByText('Still with you, Maria').waitFor();
  t.pass('Agent One still has the chat and the customer hears from them');
  t.same(pages.pageErrors, [], 'no script errors');
});

// Two agents' desktops and a customer whose chat Agent One has accepted; Agent Two is logged in, Not Ready.
async function chatWithAgentOne(t: Test, env: Record<string, string> = {}) {
  const server = await withServer(t, { env });
  const pages = pageMaker(await withBrowser(t));
  const one = await pages.newPage();
  const two = await pages.newPage();
  const customer = await pages.newPage();
  await logInPage(one, server.url, 'agent1');
  await logInPage(two, server.url, 'agent2');
  await one.getByRole('button', { name: 'Ready', exact: true }).click();
  await one.locator('.presence-ready').waitFor();
  await startChatPage(customer, server.url, 'Maria', '+393331234567');
  await one.getByRole('button', { name: 'Accept' }).click();
  await one.locator('section.interaction .state-active').waitFor();
  return { server, pages, one, two, customer };
}

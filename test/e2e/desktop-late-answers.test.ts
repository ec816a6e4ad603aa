// End to end in real Chromium against the real server: an answer that lands after the live push (the
// order a slow network or a busy server gives) neither wipes what the agent typed or chose meanwhile
// nor leaves the panel showing the chat as it was when the answer was drawn. Each answer is held back
// here until the agent, or the customer, has acted.
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { ApiClient } from '../helpers/api-client.ts';
import { eventually, sleep } from '../helpers/eventually.ts';
import { setPresence } from '../helpers/desktop-client.ts';
import { acceptOffered, login, pageMaker, readyDesktop, startChatPage, withBrowser, withServer } from '../helpers/fixtures.ts';
import { startFlakyLink } from '../helpers/flaky-link.ts';

// Holds the answers to POSTs matching `path` until the returned function is called.
// `answered`: the server has answered (held from the page), so what the test does next comes after it.
async function holdAnswers(page: Page, path: RegExp): Promise<(() => void) & { answered: Promise<void> }> {
  let release = () => {};
  let answered = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const serverAnswered = new Promise<void>((resolve) => (answered = resolve));
  await page.route(path, async (route) => {
    const answer = await route.fetch();
    answered();
    await released;
    await route.fulfill({ response: answer });
  });
  return Object.assign(release, { answered: serverAnswered });
}

// `flaky`: the agent's page reaches the server through a link the test can cut (flaky-link.ts).
async function agentWithChat(t: Test, opts: { flaky?: boolean } = {}) {
  const server = await withServer(t);
  const link = opts.flaky ? await startFlakyLink(server.port) : undefined;
  if (link) t.teardown(() => link.close());
  const pages = pageMaker(await withBrowser(t));
  const agent = await pages.newPage();
  const customer = await pages.newPage();
  await readyDesktop(agent, link?.url ?? server.url);
  await startChatPage(customer, server.url, 'Maria', '+393331234567');
  await acceptOffered(agent);
  return { pages, agent, customer, link };
}

// A Ready agent's desktop, and a chat started over the API (the customer's side, to end it at will).
async function agentAndApiChat(t: Test) {
  const server = await withServer(t);
  const pages = pageMaker(await withBrowser(t));
  const agent = await pages.newPage();
  await readyDesktop(agent, server.url);
  const api = new ApiClient(server.url);
  const chat = await api.createChat({ name: 'Maria' });
  return { server, pages, agent, api, chat };
}

t.test('what the agent types while Send is on its way stays in the box; what was sent reaches the customer once', async (t) => {
  const { pages, agent, customer } = await agentWithChat(t);
  const box = agent.getByLabel('Message');
  await box.fill('A tow truck is on its way.');
  const release = await holdAnswers(agent, /\/messages$/);
  await agent.getByRole('button', { name: 'Send' }).click();
  await customer.getByText('A tow truck is on its way.').waitFor();
  await box.focus();
  await box.press('End');
  await box.pressSequentially(' Are you safe?');
  await box.evaluate((el) => el.setAttribute('data-before-answer', ''));
  release();
  await agent.locator('textarea[id^="message-"]:not([data-before-answer])').waitFor();
  t.equal(await box.inputValue(), 'Are you safe?', 'the box keeps what was typed after Send, not what was sent');
  await agent.unrouteAll({ behavior: 'wait' });
  await agent.getByRole('button', { name: 'Send' }).click();
  await customer.getByText('Are you safe?').waitFor();
  t.equal(await customer.getByText('A tow truck is on its way.').count(), 1, 'the first message was sent once');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test("a disposition and notes chosen in the pushed wrap-up form survive Disconnect's own answer", async (t) => {
  const { pages, agent } = await agentWithChat(t);
  const release = await holdAnswers(agent, /\/disconnect$/);
  await agent.getByRole('button', { name: 'Disconnect chat' }).click();
  await agent.getByLabel('Disposition').selectOption('Resolved');
  await agent.getByLabel('Notes').fill('Customer safe, tow truck sent');
  await agent.getByLabel('Notes').evaluate((el) => el.setAttribute('data-before-answer', ''));
  release();
  await agent.locator('textarea[id^="notes-"]:not([data-before-answer])').waitFor();
  t.equal(await agent.getByLabel('Disposition').inputValue(), 'Resolved', 'the disposition is still chosen');
  t.equal(await agent.getByLabel('Notes').inputValue(), 'Customer safe, tow truck sent', 'the notes are still there');
  await agent.getByRole('button', { name: 'Done' }).click();
  await agent.getByText('Disposition: Resolved').waitFor();
  await agent.locator('.wrap-up-notes', { hasText: 'Customer safe, tow truck sent' }).waitFor();
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test("a chat the customer ends while Accept's answer is on its way is shown ended once the panel opens", async (t) => {
  const { pages, agent, api, chat } = await agentAndApiChat(t);
  const release = await holdAnswers(agent, /\/accept$/);
  await agent.getByRole('button', { name: 'Accept' }).click();
  await eventually('accepted', async () => ((await api.chat(chat)).state === 'active' ? true : undefined));
  t.equal((await api.end(chat)).status, 200, 'the customer ends the chat');
  release();
  await agent.locator('section.interaction .state-ended').waitFor();
  await agent.getByLabel('Disposition').waitFor();
  t.ok(await agent.getByLabel('Message').isDisabled(), 'the Message box is off');
  t.notOk(await agent.getByRole('button', { name: 'Disconnect chat' }).isVisible(), 'no Disconnect chat for an ended chat');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test("Transfer's answer landing after the customer ended the chat leaves the panel showing it ended, not a transfer on its way", async (t) => {
  const server = await withServer(t);
  const pages = pageMaker(await withBrowser(t));
  const agent = await pages.newPage();
  await readyDesktop(agent, server.url);
  await setPresence(await login(server, 'agent2'), 'ready');
  const api = new ApiClient(server.url);
  const chat = await api.createChat({ name: 'Maria' });
  await acceptOffered(agent);
  const panel = agent.locator('section.interaction');
  await agent.getByLabel('Transfer to').locator('option', { hasText: 'Agent Two' }).waitFor({ state: 'attached' });
  await agent.getByLabel('Transfer to').selectOption({ label: 'Agent Two' });
  const release = await holdAnswers(agent, /\/transfer$/);
  await agent.getByRole('button', { name: 'Transfer', exact: true }).click();
  await panel.getByText('Transfer offered to Agent Two').waitFor();
  t.equal((await api.end(chat)).status, 200, 'the customer ends the chat');
  await panel.locator('.state-ended').waitFor();
  // The answer, drawn while the transfer was on its way, lands last.
  await panel.evaluate((el) => el.setAttribute('data-before-answer', ''));
  release();
  await agent.locator('section.interaction:not([data-before-answer])').waitFor();
  await panel.locator('.state-ended').waitFor();
  t.pass('the panel shows the chat ended');
  t.equal(await panel.getByRole('button', { name: 'Cancel transfer' }).count(), 0, 'no Cancel transfer for a transfer the end withdrew');
  t.ok(await agent.getByLabel('Message').isDisabled(), 'the Message box is off');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test("a refused Consult's answer landing after the customer ended the chat says why in the alert and leaves the panel as pushed, the composer too", async (t) => {
  const { pages, agent, api, chat } = await agentAndApiChat(t);
  await acceptOffered(agent);
  const panel = agent.locator('section.interaction');
  // No call with the customer: Consult is refused (409); its button is off until one is up.
  const consult = panel.getByRole('button', { name: 'Consult' });
  await consult.evaluate((el) => el.removeAttribute('disabled'));
  const release = await holdAnswers(agent, /\/consult$/);
  await consult.click();
  await release.answered; // refused for want of a call, before the chat ends
  t.equal((await api.end(chat)).status, 200, 'the customer ends the chat');
  await panel.locator('.state-ended').waitFor();
  const clientId = await agent.locator('form.composer input[name="client_id"]').inputValue();
  await panel.evaluate((el) => el.setAttribute('data-before-answer', ''));
  release();
  const alert = agent.locator('#desk-alert', { hasText: 'Consult needs a call with the customer' });
  await alert.waitFor();
  await sleep(1500); // what the socket would push after the answer has come by now
  t.ok(await alert.isVisible(), 'the reason stays shown');
  t.equal(await agent.locator('section.interaction[data-before-answer]').count(), 1, 'the panel was not replaced by the one drawn with the refusal');
  t.equal(await panel.locator('.state-ended').count(), 1, 'it still shows the chat ended');
  t.equal(await panel.getByRole('button', { name: 'Disconnect chat' }).count(), 0, 'no Disconnect chat');
  t.equal(await panel.getByLabel('Transfer to').count(), 0, 'no Transfer form');
  t.ok(await agent.getByLabel('Message').isDisabled(), 'the Message box is off');
  t.equal(await agent.locator('form.composer input[name="client_id"]').inputValue(), clientId, 'the composer kept its client id');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test('the panel redrawn while a reply is on its way: the box keeps only what was typed after Send, and a refused send comes back', async (t) => {
  const { pages, agent, customer } = await agentWithChat(t);
  const box = agent.getByLabel('Message');
  const reopen = async () => {
    await box.evaluate((el) => el.setAttribute('data-before-redraw', ''));
    await agent.getByRole('link', { name: 'Maria' }).click();
    await agent.locator('textarea[id^="message-"]:not([data-before-redraw])').waitFor();
  };

  await box.fill('Help is on the way.');
  let release: () => void = await holdAnswers(agent, /\/messages$/);
  await agent.getByRole('button', { name: 'Send' }).click();
  await customer.getByText('Help is on the way.').waitFor();
  await box.press('End');
  await box.pressSequentially(' Stay in the car.');
  await reopen();
  t.equal(await box.inputValue(), 'Stay in the car.', 'the redrawn box holds only what was typed after Send');
  release();
  await agent.unrouteAll({ behavior: 'wait' });
  await agent.getByRole('button', { name: 'Send' }).click();
  await customer.getByText('Stay in the car.').waitFor();
  t.equal(await customer.getByText('Help is on the way.').count(), 1, 'what was sent first is sent once');

  // A send refused while the panel was redrawn: its text comes back in front of what was typed since.
  await box.fill('Lost on the way.');
  let refuse = () => {};
  const refused = new Promise<void>((resolve) => (refuse = resolve));
  await agent.route(/\/messages$/, async (route) => {
    await refused;
    await route.abort();
  });
  release = refuse;
  await agent.getByRole('button', { name: 'Send' }).click();
  await box.press('End');
  await box.pressSequentially(' More.');
  await reopen();
  release();
  await agent.locator('#desk-alert', { hasText: 'Not sent: your text is back in the Message box' }).waitFor();
  await eventually('the text back in the box', async () => ((await box.inputValue()) === 'Lost on the way. More.' ? true : undefined));
  t.pass('the refused text is back, before what was typed since');
  await agent.unrouteAll({ behavior: 'wait' });

  // Sent again from the redrawn panel while the first is still on its way, then the first fails:
  // only the first comes back; the second, sent, is not put back to be sent twice.
  await box.fill('First try.');
  let calls = 0;
  let failFirst = () => {};
  let answerSecond = () => {};
  const firstFails = new Promise<void>((resolve) => (failFirst = resolve));
  const secondAnswered = new Promise<void>((resolve) => (answerSecond = resolve));
  await agent.route(/\/messages$/, async (route) => {
    if (++calls === 1) {
      await firstFails;
      return route.abort();
    }
    const answer = await route.fetch();
    await secondAnswered;
    await route.fulfill({ response: answer });
  });
  await agent.getByRole('button', { name: 'Send' }).click();
  await box.press('End');
  await box.pressSequentially(' Second try.');
  await reopen();
  t.equal(await box.inputValue(), 'Second try.', 'the redrawn box holds the second text');
  await agent.getByRole('button', { name: 'Send' }).click();
  await customer.getByText('Second try.').waitFor();
  failFirst();
  await eventually('the first text back in the box', async () => ((await box.inputValue()).startsWith('First try.') ? true : undefined));
  answerSecond();
  await agent.locator('textarea[id^="message-"]:not([data-before-redraw])').waitFor();
  await eventually('the second answer swapped in', async () => ((await agent.locator('form.composer.htmx-request').count()) === 0 ? true : undefined));
  t.equal(await box.inputValue(), 'First try.', 'only the failed text is back: the second, sent, is not put back to be sent twice');
  await agent.unrouteAll({ behavior: 'wait' });
  await agent.getByRole('button', { name: 'Send' }).click();
  await customer.getByText('First try.').waitFor();
  t.equal(await customer.getByText('Second try.').count(), 1, 'the second text reached the customer once');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test("a send the server refuses keeps its reason, the text and its client id: the redraw after an answer is not asked for after a refusal", async (t) => {
  const { pages, agent } = await agentWithChat(t);
  const box = agent.getByLabel('Message');
  const max = Number(await box.getAttribute('maxlength'));
  await box.evaluate((el) => el.removeAttribute('maxlength'));
  await box.fill('x'.repeat(max + 1));
  const sentId = await agent.locator('form.composer input[name="client_id"]').inputValue();
  await agent.getByRole('button', { name: 'Send' }).click();
  const reason = agent.locator('form.composer [role="alert"]');
  await reason.waitFor();
  await sleep(1500); // what the socket would push after the answer has come by now
  t.ok(await reason.isVisible(), 'the reason stays shown');
  t.equal((await box.inputValue()).length, max + 1, 'with the text');
  t.equal(await agent.locator('form.composer input[name="client_id"]').inputValue(), sentId, 'and the client id, for a retry that cannot store it twice');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test("Ready clicked before the page's scripts have run still makes the agent Ready", async (t) => {
  const server = await withServer(t);
  const pages = pageMaker(await withBrowser(t));
  const agent = await pages.newPage();
  await agent.goto(`${server.url}/login`);
  // From here htmx arrives late (a slow network): the desktop is drawn and clickable before it can send anything.
  let releaseHtmx = () => {};
  const htmxHeld = new Promise<void>((resolve) => (releaseHtmx = resolve));
  await agent.route(/\/vendor\/htmx\.min\.js$/, async (route) => {
    await htmxHeld;
    await route.continue();
  });
  await agent.getByLabel('Username').fill('agent1');
  await agent.getByLabel('Password').fill('demo');
  await agent.getByRole('button', { name: 'Log in' }).click();
  await agent.getByRole('button', { name: 'Ready', exact: true }).click();
  await agent.locator('.presence-ready').waitFor({ timeout: 10_000 });
  t.pass('the agent is Ready');
  t.notMatch(agent.url(), /presence=/, 'the choice did not go into the address bar');
  releaseHtmx();
  await agent.getByRole('button', { name: 'Not Ready', exact: true }).click();
  await agent.locator('.presence-not_ready').waitFor();
  t.pass('once the scripts run, the buttons work as before');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test("a send answered after the socket came back and redrew the composer clears the alert of the failure before: the agent is not told it may not have been done", async (t) => {
  const { pages, agent, customer, link } = await agentWithChat(t, { flaky: true });
  const box = agent.getByLabel('Message');
  const alert = agent.locator('#desk-alert');
  // The network drops: the send does not reach the server, the alert says so, the text stays.
  link!.cut();
  await box.fill('Are you safe?');
  await agent.getByRole('button', { name: 'Send' }).click();
  await alert.filter({ hasText: 'could not be reached' }).waitFor();
  // Back; sent again, and the desktop's socket comes back and redraws the composer before the answer lands.
  await agent.locator('form.composer').evaluate((el) => el.setAttribute('data-before-redraw', ''));
  const release = await holdAnswers(agent, /\/messages$/);
  link!.restore();
  await agent.getByRole('button', { name: 'Send' }).click();
  await release.answered;
  await agent.locator('form.composer:not([data-before-redraw])').waitFor({ timeout: 20_000 });
  release();
  await customer.getByText('Are you safe?').waitFor();
  await alert.waitFor({ state: 'hidden' });
  t.pass('the alert is gone once the send is answered');
  t.equal(await customer.getByText('Are you safe?').count(), 1, 'the customer has it once');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test('an action whose button a redraw removed, and whose request never reached the server, still says it may not have been done', async (t) => {
  const { pages, agent } = await agentWithChat(t);
  let fail = () => {};
  const failed = new Promise<void>((resolve) => (fail = resolve));
  await agent.route(/\/disconnect$/, async (route) => {
    await failed;
    await route.abort();
  });
  await agent.getByRole('button', { name: 'Disconnect chat' }).click();
  await agent.locator('button.disconnect').evaluate((el) => el.setAttribute('data-before-redraw', ''));
  const reopened = agent.waitForResponse((r) => r.request().method() === 'GET' && r.url().includes('/desktop/interactions/'));
  await agent.getByRole('link', { name: 'Maria' }).click();
  await reopened;
  await agent.locator('button.disconnect:not([data-before-redraw])').waitFor();
  // The reopening's answer handled first (htmx takes its class off the link): any answer after the
  // failure clears its alert, as the next answered request does. A push may redraw the button sooner.
  await eventually('the reopening handled', async () => ((await agent.locator('.htmx-request').count()) === 0 ? true : undefined));
  fail();
  await agent.locator('#desk-alert', { hasText: 'could not be reached' }).waitFor();
  t.pass('the alert says so');
  t.ok(await agent.getByRole('button', { name: 'Disconnect chat' }).isEnabled(), 'and the chat is still there to disconnect');
  t.same(pages.pageErrors, [], 'no script errors');
});

t.test('a send refused because the customer ended the chat meanwhile says so, even after the push redrew the composer', async (t) => {
  const { pages, agent, customer } = await agentWithChat(t);
  const box = agent.getByLabel('Message');
  // The send leaves the page before the customer ends the chat, and reaches the server after.
  let deliver = () => {};
  const delivered = new Promise<void>((resolve) => (deliver = resolve));
  await agent.route(/\/messages$/, async (route) => {
    await delivered;
    await route.fulfill({ response: await route.fetch() });
  });
  await box.fill('Still there?');
  await agent.getByRole('button', { name: 'Send' }).click();
  await customer.getByRole('button', { name: 'End chat' }).click();
  await agent.locator('textarea[id^="message-"][disabled]').waitFor();
  deliver();
  await agent.locator('#desk-alert', { hasText: 'Not sent' }).waitFor();
  await sleep(500); // nothing the page does after the answer takes it back
  t.ok(await agent.locator('#desk-alert', { hasText: 'Not sent' }).isVisible(), 'the agent is told the text was not sent');
  t.equal(await box.inputValue(), 'Still there?', 'and the text is back in the box');
  t.same(pages.pageErrors, [], 'no script errors');
});

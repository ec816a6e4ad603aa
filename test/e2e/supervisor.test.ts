// End to end in real Chromium: a supervisor watches the floor while a customer starts a chat (it
// appears, then shows its agent), opens Monitor and sees the conversation arrive live, with no control
// that acts on it, and the customer's text shown as text.
import t from 'tap';
import { logInPage, pageMaker, startChatPage, withBrowser, withServer } from '../helpers/fixtures.ts';

t.test('a supervisor sees a new chat appear on the floor and follows its timeline live on Monitor', async (t) => {
  const server = await withServer(t);
  const { newPage, pageErrors } = pageMaker(await withBrowser(t));
  const supervisor = await newPage();
  const agent = await newPage();
  const customer = await newPage();

  await logInPage(supervisor, server.url, 'supervisor1', 'demo');
  await supervisor.waitForURL(`${server.url}/desktop`);
  await supervisor.getByRole('link', { name: 'Floor' }).click();
  await supervisor.waitForURL(`${server.url}/supervisor`);
  await supervisor.locator('#connection[data-state="open"]').waitFor();
  await supervisor.getByText('No live interactions.').waitFor();

  await logInPage(agent, server.url, 'agent2', 'demo');
  await agent.waitForURL(`${server.url}/desktop`);
  await agent.locator('#connection[data-state="open"]').waitFor();
  await agent.getByRole('button', { name: 'Ready', exact: true }).click();

  const name = 'Pat <i>Pending</i>';
  await startChatPage(customer, server.url, name, '+15551230042');
  const row = supervisor.getByRole('row').filter({ hasText: name });
  await row.waitFor();
  t.pass('the new chat appeared on the floor without a reload, its name as text');

  await agent.getByRole('button', { name: 'Accept' }).first().click();
  await row.filter({ hasText: 'Agent Two' }).filter({ hasText: 'In progress' }).waitFor();
  t.pass('then its agent, in progress');

  await row.getByRole('link', { name: 'Monitor', exact: true }).click();
  await supervisor.locator('#connection[data-state="open"]').waitFor();
  await supervisor.getByText('Agent Two accepted the chat').waitFor();
  t.same(await supervisor.getByRole('button').allTextContents(), ['Listen', 'Whisper', 'Barge', 'Stop'], "Monitor's only buttons: the supervisor's own, in the call panel");
  t.equal(await supervisor.getByRole('region', { name: 'Call' }).getByRole('button', { disabled: true }).count(), 4, 'disabled while no call is up');
  t.equal(await supervisor.getByRole('textbox').count(), 0, 'nor a box to type in');
  await supervisor.getByRole('region', { name: 'Call' }).getByText('No call in progress.').waitFor();

  await customer.getByLabel('Message').fill('my car <b>broke</b> down');
  await customer.getByRole('button', { name: 'Send' }).click();
  await supervisor.getByText('my car <b>broke</b> down').waitFor();
  await agent.getByLabel('Message').fill('help is on the way');
  await agent.getByRole('button', { name: 'Send' }).click();
  await supervisor.getByText('help is on the way').waitFor();
  t.pass("both sides' messages arrive live on Monitor, the customer's as text");
  t.same(pageErrors, [], 'no page errors');
});

// End to end in real Chromium: an admin sets up a service and an agent who serves only it; that agent
// is offered the service's chat while another Ready agent is not, changes its password, and is logged
// out at once when the admin disables it.
import t from 'tap';
import { logInPage, pageMaker, withBrowser, withServer } from '../helpers/fixtures.ts';

t.test('an admin adds a service and its agent; routing, password change and disabling, as users see them', async (t) => {
  const server = await withServer(t);
  const { newPage, pageErrors } = pageMaker(await withBrowser(t));
  const admin = await newPage();
  const tow = await newPage();
  const other = await newPage();
  const customer = await newPage();

  // The admin goes from the desktop's header to the admin pages and adds a service.
  await logInPage(admin, server.url, 'agent1', 'demo');
  await admin.waitForURL(`${server.url}/desktop`);
  await admin.getByRole('link', { name: 'Admin' }).click();
  await admin.getByRole('link', { name: 'Services' }).click();
  await admin.getByRole('button', { name: 'Add service' }).click();
  await admin.getByLabel('Service id').fill('towing');
  await admin.getByLabel('Name').fill('Towing');
  await admin.getByLabel('Auto-dial').uncheck();
  await admin.getByLabel('SMS number').fill('not a number');
  await admin.getByRole('button', { name: 'Save' }).click();
  await admin.getByText('Enter an E.164 number such as +15550009000, or leave it empty.').waitFor();
  t.pass('a bad SMS number is refused next to its field');
  await admin.getByLabel('SMS number').fill('+15550007777');
  await admin.getByLabel('Record calls').check();
  await admin.getByRole('button', { name: 'Save' }).click();
  await admin.getByRole('row', { name: /towing Towing/ }).waitFor();

  // ... and an agent who serves only it, with a password generated and shown once.
  await admin.getByRole('link', { name: 'Agents' }).click();
  await admin.getByRole('button', { name: 'Add agent' }).click();
  await admin.getByLabel('Username').fill('tow1');
  await admin.getByLabel('Display name').fill('Tina Tow');
  await admin.getByLabel('Role').selectOption({ label: 'Agent' });
  await admin.getByLabel('Towing').check();
  await admin.getByRole('button', { name: 'Save' }).click();
  const password = (await admin.locator('code.password').textContent()) ?? '';
  t.ok(password.length >= 16, 'the generated password is shown');
  const row = admin.getByRole('row').filter({ hasText: 'Tina Tow' });
  await row.waitFor();
  t.match(await row.textContent(), /tow1[\s\S]*Tina Tow[\s\S]*Towing/, 'the row names the username, display name and service');

  // The new agent and agent2 (roadside and claims) are Ready; a customer writes to Towing.
  await logInPage(tow, server.url, 'tow1', password);
  await tow.waitForURL(`${server.url}/desktop`);
  t.equal(await tow.getByRole('link', { name: 'Admin' }).count(), 0, 'an agent has no Admin link');
  await logInPage(other, server.url, 'agent2', 'demo');
  await other.waitForURL(`${server.url}/desktop`);
  for (const page of [tow, other]) {
    await page.locator('#connection[data-state="open"]').waitFor();
    await page.getByRole('button', { name: 'Ready', exact: true }).click();
    await page.locator('.presence-ready').waitFor();
  }
  await customer.goto(`${server.url}/m/towing`);
  await customer.getByLabel('Name').fill('Carl Customer');
  await customer.getByLabel('Phone').fill('+15551230077');
  await customer.getByRole('button', { name: 'Start chat' }).click();
  await tow.getByRole('button', { name: 'Accept' }).click();
  await tow.locator('section.interaction').waitFor();
  t.equal(await other.getByText('Carl Customer').count(), 0, 'the other Ready agent was never offered it');
  t.equal(await other.getByRole('button', { name: 'Accept' }).count(), 0);

  // The agent changes its password on /account.
  await tow.getByRole('link', { name: 'Account' }).click();
  await tow.getByLabel('Current password').fill(password);
  await tow.getByLabel('New password').fill('my own towing secret');
  await tow.getByRole('button', { name: 'Change password' }).click();
  await tow.getByText(/Password changed/).waitFor();
  await tow.getByRole('link', { name: 'Desktop' }).click();
  await tow.locator('#connection[data-state="open"]').waitFor();

  // The admin disables the agent: its desktop goes to the login at once, and its logins are refused.
  await admin.getByRole('link', { name: 'Agents' }).click();
  await admin.getByRole('row').filter({ hasText: 'Tina Tow' }).getByRole('button', { name: 'Disable' }).click();
  await admin.getByText('tow1 is disabled').waitFor();
  await tow.waitForURL(`${server.url}/login`);
  t.pass('the disabled agent was sent to the login');
  await tow.getByLabel('Username').fill('tow1');
  await tow.getByLabel('Password').fill('my own towing secret');
  await tow.getByRole('button', { name: 'Log in' }).click();
  await tow.getByText('This account is disabled').waitFor();

  // The audit trail lists the change, never a password.
  await admin.getByRole('link', { name: 'Audit' }).click();
  await admin.getByRole('cell', { name: 'agent.disabled' }).waitFor();
  t.notMatch(await admin.locator('main').textContent(), password, 'no password in the audit trail');
  t.same(pageErrors, [], 'no script errors');
});

// One browser phone per browser, with real Asterisk: a supervisor's second Monitor tab does not take
// the phone from the first (each start made the endpoint a new password, and it takes one
// registration). It says where the phone is, Listen clicked there rings the first tab's phone, and the
// second takes the phone over once the first tab closes.
import t from 'tap';
import type { Page } from 'playwright-core';
import { logInPage, withServer } from '../helpers/fixtures.ts';
import { expectHears, TONES } from '../helpers/tones.ts';
import { agentDesktop, customerPhone, startChat, tonePages, VOICE_ENV } from '../helpers/voice.ts';

const { customer: C, agent: A, supervisor: S } = TONES;

t.test("a supervisor's second Monitor tab leaves the browser phone to the first; Listen there rings the first", async (t) => {
  const server = await withServer(t, { env: VOICE_ENV });
  const [customer, agent, supervisor] = (await tonePages(t, [C, A, S])) as [Page, Page, Page];
  await agentDesktop(agent, server, { agent: 'agent2' });
  const number = '+15551230019';
  const chat = await startChat(server, 'roadside', number);
  await customerPhone(customer, server, chat);
  await agent.getByRole('button', { name: 'Accept' }).click();
  await agent.getByRole('button', { name: number }).click();
  await agent.locator('section.interaction .call-state.call-connected').waitFor({ timeout: 20_000 });

  await logInPage(supervisor, server.url, 'agent1');
  await supervisor.waitForURL(/\/desktop/);
  const monitor = `${server.url}/supervisor/interactions/${chat.id}`;
  await supervisor.goto(monitor);
  await supervisor.locator('#phone-state', { hasText: 'Phone ready' }).waitFor({ timeout: 20_000 });

  const second = await supervisor.context().newPage();
  await second.goto(monitor);
  await second.locator('#connection[data-state="open"]').waitFor();
  await second.locator('#phone-state', { hasText: 'in another tab of this browser' }).waitFor({ timeout: 20_000 });
  t.pass('the second tab says the phone is in another tab');

  await second.getByRole('button', { name: 'Listen' }).click();
  await second.getByRole('region', { name: 'Call' }).getByText('You: listening').waitFor({ timeout: 20_000 });
  t.match(await supervisor.locator('#phone-state').textContent(), /Phone ready|call/i, "the first tab's phone is still registered");
  await expectHears(t, supervisor, 'Listen from the second tab: the first tab', { hears: [C, A], not: [] });

  await supervisor.close();
  await second.locator('#phone-state', { hasText: 'Phone ready' }).waitFor({ timeout: 20_000 });
  t.pass('the first tab closed: the second runs the phone now');
});

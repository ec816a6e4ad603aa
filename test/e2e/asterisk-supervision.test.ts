// The operator's fault on one machine (issue 17): kill -9 of the Asterisk that `npm start` runs, in the
// middle of a call. One server with its own local Asterisk, the agent's browser softphone, and the
// customer's page as the customer's phone (simulated PSTN). The call is released with its cause at
// once, the pages say telephony is away while it is, Asterisk is back by itself, both phones
// register again by themselves and the next call has audio both ways.
import t from 'tap';
import { eventually } from '../helpers/eventually.ts';
import { startChatPage, withBrowser, withServer } from '../helpers/fixtures.ts';
import { agentDesktop, ariCredentials, ariGet, mediaFlows, VOICE_ENV } from '../helpers/voice.ts';

type AriHealth = { state: string; asteriskPid?: number; restarts?: number; lastRestartAt?: string | null };
const NUMBER = '+15551230171';

t.test('kill -9 of the local Asterisk mid-call: released with the cause, away shown, back by itself, calls work again', async (t) => {
  const server = await withServer(t, { env: VOICE_ENV });
  const browser = await withBrowser(t);
  const agent = await (await browser.newContext()).newPage();
  const customer = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  const ari = async () => ((await (await fetch(`${server.url}/healthz`)).json()) as { ari: AriHealth }).ari;

  await agentDesktop(agent, server);
  await startChatPage(customer, server.url, 'Kim', NUMBER);
  await customer.getByText(/Phone ready/).waitFor({ timeout: 20_000 });
  await agent.getByRole('button', { name: 'Accept' }).click();
  const panel = agent.locator('section.interaction');
  const call = async () => {
    await agent.getByRole('button', { name: NUMBER }).click();
    await customer.getByRole('button', { name: 'Answer' }).click({ timeout: 20_000 });
    await panel.locator('.call-state.call-connected').waitFor({ timeout: 20_000 });
  };
  await call();
  await mediaFlows(t, agent, 'the agent before the fault');
  await mediaFlows(t, customer, 'the customer before the fault');
  await panel.locator('.call-state .timer').waitFor();

  const before = await ari();
  t.match(before, { state: 'up', restarts: 0, lastRestartAt: null }, '/healthz shows the local Asterisk running, never restarted');
  t.type(before.asteriskPid, 'number', '/healthz names its pid');
  process.kill(before.asteriskPid!, 'SIGKILL');

  // At once, while Asterisk is away.
  await panel.locator('.call-state.call-released', { hasText: 'lost when Asterisk stopped' }).waitFor({ timeout: 5000 });
  t.pass('the desktop shows the call released, and why');
  t.equal(await panel.locator('.call-state .timer').count(), 0, 'no call timer runs');
  await panel.locator('.entry-call', { hasText: 'released (lost when Asterisk stopped)' }).waitFor();
  t.pass('the timeline tells the call was lost with Asterisk');
  const notice = agent.locator('#telephony-state');
  await notice.waitFor({ state: 'visible', timeout: 5000 });
  t.match(await notice.textContent(), /Telephony is unavailable/, 'the desktop says telephony is away');
  const number = agent.getByRole('button', { name: NUMBER });
  t.ok(await number.isDisabled(), 'the number cannot be clicked');
  t.match(await panel.locator('.dial .reason').textContent(), /Telephony is unavailable/, 'and the reason is shown next to it');
  const refused = await agent.evaluate(async (id) => {
    const csrf = document.querySelector('meta[name=csrf-token]')!.getAttribute('content')!;
    const r = await fetch(`/desktop/interactions/${id}/call`, { method: 'POST', headers: { 'x-csrf-token': csrf, 'hx-request': 'true' } });
    return { status: r.status, body: await r.text() };
  }, await panel.getAttribute('data-interaction'));
  t.equal(refused.status, 503, 'a call asked for anyway is refused as unavailable');
  t.match(refused.body, /telephony_unavailable|Telephony is unavailable/, 'with the reason');
  await customer.locator('#sim-phone-notice', { hasText: 'Telephony is unavailable' }).waitFor({ timeout: 5000 });
  t.pass("the customer's page says so in its phone bar");

  // Back by itself.
  const back = await eventually('ARI up again after a restart', async () => {
    const now = await ari();
    return now.state === 'up' ? now : undefined;
  }, 30_000);
  t.equal(back.restarts, 1, '/healthz counts the restart');
  t.ok(typeof back.lastRestartAt === 'string' && isoDate(back.lastRestartAt) === back.lastRestartAt, `and says when it was: a date (it said none before): ${back.lastRestartAt}`);
  t.not(back.asteriskPid, before.asteriskPid, 'a new Asterisk process runs');
  await notice.waitFor({ state: 'hidden', timeout: 5000 });
  await eventually('number enabled', async () => ((await number.isEnabled()) ? true : undefined), 5000);
  t.pass('the desktop shows telephony back: the notice is gone, the number can be clicked');
  await customer.locator('#sim-phone-notice').waitFor({ state: 'hidden', timeout: 5000 });
  t.pass("the customer's page notice is gone");

  const ariApi = await ariCredentials(server);
  await eventually('the softphone registered again', async () => ((await ariGet<{ state: string }>(ariApi, '/endpoints/PJSIP/agent1')).state === 'online' ? true : undefined), 30_000);
  t.pass("the agent's browser softphone registered again by itself");
  await agent.locator('#phone-state', { hasText: 'Phone ready' }).waitFor({ timeout: 10_000 });
  await customer.getByText(/Your phone: Phone ready/).waitFor({ timeout: 30_000 });
  t.pass("the customer's page phone registered again by itself");

  await call();
  t.pass('a new call connects');
  await mediaFlows(t, agent, 'the agent on the call after the restart');
  await mediaFlows(t, customer, 'the customer on the call after the restart');
  await agent.getByRole('button', { name: 'Release call' }).click();
  await panel.locator('.call-state.call-released', { hasText: 'released by agent' }).waitFor();
});

// The ISO 8601 form of `value` if it is a valid date, else undefined.
function isoDate(value: string): string | undefined {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

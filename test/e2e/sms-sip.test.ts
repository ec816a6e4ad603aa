// SMS by SIP MESSAGE end to end with real parts: a real Asterisk (started by the server) whose SMS trunk
// is subscribed by the controller over ARI, the agent desktop in Chromium, and the customer's phone as
// a sip.js UserAgent in a second browser context, registered for its number on the simulated PSTN. The
// phone texts our SMS number; the text goes phone -> simulated PSTN -> sms-trunk -> ARI
// TextMessageReceived -> an SMS chat; the agent's reply goes ARI sendMessage -> sms-trunk -> simulated
// PSTN -> the phone.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import t from 'tap';
import { connectAri, ensureSimulatedPhone } from '../../src/ari/index.ts';
import { eventually } from '../helpers/eventually.ts';
import { agentPost } from '../helpers/desktop-client.ts';
import { login, withBrowser, withServer } from '../helpers/fixtures.ts';
import { logEntries, type TestServer } from '../helpers/server.ts';
import { agentDesktop, ariCredentials, ariGet, startChat, VOICE_ENV } from '../helpers/voice.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SMS_NUMBER = '+15550009000'; // roadside, the default SMS_NUMBERS
const CUSTOMER = '+15551237001';

// sip.js for the customer's page, as a global `SIP` (injected into a page of the server's origin, in a
// context that bypasses its CSP).
async function sipJsBundle(): Promise<string> {
  const out = await build({
    stdin: { contents: "export { Messager, Registerer, RegistererState, UserAgent } from 'sip.js';", resolveDir: ROOT, loader: 'js' },
    bundle: true,
    format: 'iife',
    globalName: 'SIP',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

// The customer's phone: its endpoint created the way the server creates simulated phones, then a sip.js
// UserAgent registered on Asterisk's own WebSocket, keeping every MESSAGE it receives in window.inbox.
async function customerPhone(page: Page, server: TestServer, number: string): Promise<void> {
  const ari = await ariCredentials(server);
  const password = Buffer.from(ari.auth.slice('Basic '.length), 'base64').toString().split(':')[1]!;
  const client = await connectAri(`http://127.0.0.1:${ari.port}`, 'contact-center', password);
  await registeredPhone(page, server, await ensureSimulatedPhone(client, number, 'browser'));
}

// A sip.js UserAgent in the page, registered on Asterisk's own WebSocket with these credentials.
async function registeredPhone(page: Page, server: TestServer, creds: { username: string; password: string }): Promise<void> {
  const ari = await ariCredentials(server);
  await page.goto(`${server.url}/healthz`);
  await page.addScriptTag({ content: await sipJsBundle() });
  await page.evaluate(
    async ({ creds, wsUrl }) => {
      type Sip = typeof import('sip.js');
      const SIP = (window as unknown as { SIP: Sip }).SIP;
      const w = window as unknown as { inbox: Array<{ from: string; body: string }>; smsIds: string[]; ua: InstanceType<Sip['UserAgent']> };
      w.inbox = [];
      w.smsIds = [];
      const ua = new SIP.UserAgent({
        uri: SIP.UserAgent.makeURI(`sip:${creds.username}@contact-center`),
        transportOptions: { server: wsUrl },
        authorizationUsername: creds.username,
        authorizationPassword: creds.password,
        logLevel: 'warn',
        delegate: {
          onMessage(message) {
            w.inbox.push({ from: message.request.from.uri.user ?? '', body: message.request.body });
            w.smsIds.push(message.request.getHeader('X-SMS-Id') ?? '');
            void message.accept();
          },
        },
      });
      w.ua = ua;
      await ua.start();
      const registerer = new SIP.Registerer(ua, { expires: 300 });
      const registered = new Promise<void>((resolve) =>
        registerer.stateChange.addListener((s) => {
          if (s === SIP.RegistererState.Registered) resolve();
        }),
      );
      await registerer.register();
      await registered;
    },
    { creds, wsUrl: `ws://127.0.0.1:${ari.port}/ws` },
  );
}

// Sends a text from the customer's phone (with From as given, if given); resolves with the SIP status
// Asterisk answered.
function text(page: Page, to: string, body: string, fromUri?: string): Promise<number> {
  return page.evaluate(
    ({ to, body, fromUri }) =>
      new Promise<number>((resolve) => {
        type Sip = typeof import('sip.js');
        const w = window as unknown as { SIP: Sip; ua: InstanceType<Sip['UserAgent']> };
        const target = w.SIP.UserAgent.makeURI(`sip:${to}@contact-center`)!;
        const messager = new w.SIP.Messager(w.ua, target, body, 'text/plain', fromUri ? { params: { fromUri } } : {});
        void messager.message({
          requestDelegate: { onAccept: (r) => resolve(r.message.statusCode ?? 0), onReject: (r) => resolve(r.message.statusCode ?? 0) },
        });
      }),
    { to, body, fromUri },
  );
}

const inbox = (page: Page) => page.evaluate(() => (window as unknown as { inbox: Array<{ from: string; body: string }> }).inbox);

t.test('a text by SIP MESSAGE opens an SMS chat; the agent reply reaches the phone by SIP MESSAGE', async (t) => {
  const server = await withServer(t, { env: VOICE_ENV });
  const browser = await withBrowser(t);
  const health = (await (await fetch(`${server.url}/healthz`)).json()) as { sms: unknown };
  t.match(health.sms, { state: 'up', sip: { state: 'up', trunk: 'sms-trunk' }, webhook: { state: 'not_configured' } }, '/healthz: the SIP gateway is up');

  const agent = await (await browser.newContext()).newPage();
  const phone = await (await browser.newContext({ bypassCSP: true })).newPage();
  await agentDesktop(agent, server, { phone: 'desk' });
  await customerPhone(phone, server, CUSTOMER);

  // The phone texts our SMS number: Asterisk takes it for the controller (202), which offers a chat.
  t.equal(await text(phone, SMS_NUMBER, 'My car broke down on the A1 near exit 12'), 202, 'Asterisk accepted the MESSAGE');
  const offer = agent.locator('#interaction-list .item-offered', { hasText: `SMS ${CUSTOMER}` });
  await offer.waitFor({ timeout: 15_000 });
  t.match(await offer.textContent(), 'Roadside', "offered on the SMS number's service");
  await offer.getByRole('button', { name: 'Accept' }).click();
  const panel = agent.locator('section.interaction');
  await panel.locator('.entry-message.from-customer .text', { hasText: 'My car broke down on the A1 near exit 12' }).waitFor();
  t.ok(await agent.getByRole('button', { name: CUSTOMER }).isVisible(), "the sender's number is in the Contact Info Panel");

  // A second text joins the same chat.
  t.equal(await text(phone, SMS_NUMBER, 'I am on the hard shoulder'), 202);
  await panel.locator('.entry-message.from-customer .text', { hasText: 'I am on the hard shoulder' }).waitFor();
  t.equal(await agent.locator('#interaction-list .item').count(), 1, 'one chat for both texts');

  // The agent replies from the desktop; the phone receives it from our SMS number.
  const reply = 'A tow truck is on its way, about 25 minutes. Stay behind the barrier. 🚗';
  await agent.getByLabel('Message').fill(reply);
  await agent.getByRole('button', { name: 'Send' }).click();
  await phone.waitForFunction((reply) => (window as unknown as { inbox: Array<{ body: string }> }).inbox.some((m) => m.body === reply), reply, { timeout: 15_000 });
  t.same(await inbox(phone), [{ from: SMS_NUMBER, body: reply }], 'the phone got the reply once, from our SMS number');
  const [smsId] = await phone.evaluate(() => (window as unknown as { smsIds: string[] }).smsIds);
  t.match(smsId, /^[0-9a-f-]{36}$/, "with the reply's id in X-SMS-Id, for a carrier to drop a resend");
  await panel.locator('.sms-status', { hasText: 'Accepted by the gateway' }).waitFor();
  t.pass('the reply shows that Asterisk took it for the trunk');

  // The phone cannot pass itself off as another number: the sender is the number of its endpoint.
  t.equal(await text(phone, SMS_NUMBER, 'From a forged number', 'sip:+15559990000@contact-center'), 202);
  await panel.locator('.entry-message.from-customer .text', { hasText: 'From a forged number' }).waitFor();
  t.equal(await agent.locator('#interaction-list .item').count(), 1, "a forged From changes nothing: the text joins the phone's own chat");

  // A text to a number that is not ours reaches the controller, which refuses it: no chat.
  t.equal(await text(phone, '+15550000001', 'wrong number'), 202);
  const refused = 'refused a text from the SMS trunk';
  await t.resolves(eventually(`"${refused}" in the server log`, async () => logEntries(server, refused)[0], 10_000), 'the controller refused the text to an unknown number');
  t.equal(await agent.locator('#interaction-list .item').count(), 1, 'no chat for it');
});

t.test("an agent's phone cannot text: no dialplan runs on its texts and the controller drops them", async (t) => {
  const server = await withServer(t, { env: VOICE_ENV });
  const browser = await withBrowser(t);
  const customer = await (await browser.newContext({ bypassCSP: true })).newPage();
  const agentPhone = await (await browser.newContext({ bypassCSP: true })).newPage();
  await customerPhone(customer, server, CUSTOMER);
  // The agent's own browser softphone endpoint, with the credentials the desktop gives that agent.
  const session = await login(server, 'agent1', 'demo');
  const softphone = (await (await agentPost(session, '/desktop/softphone')).json()) as { username: string; password: string };
  await registeredPhone(agentPhone, server, softphone);

  // Asterisk takes both (the controller's ARI application watches agent endpoints, for their
  // registrations, so it hears their texts too); the controller drops them, and no dialplan runs.
  t.ok([202, 404].includes(await text(agentPhone, CUSTOMER, 'texted from the agent phone')), "to a customer's number");
  t.ok([202, 404].includes(await text(agentPhone, SMS_NUMBER, 'to our own SMS number')), 'to our SMS number');
  const ignored = 'ignored a text from another endpoint than the SMS trunk';
  await t.resolves(eventually(`"${ignored}" in the server log`, async () => logEntries(server, ignored)[0], 10_000), 'the controller ignored them');
  await customer.waitForTimeout(1000);
  t.same(await inbox(customer), [], 'nothing reached the customer');
  t.same(await ariGet(await ariCredentials(server), '/channels'), [], 'no channel was made for them (no dialplan ran on a text)');
  const chats = (await (await fetch(`${server.url}/metrics`)).text()).match(/^cc_interactions\{state="(queued|offered)"\} (\d+)/gm) ?? [];
  t.ok(chats.every((line) => line.endsWith(' 0')), `no chat was opened (${chats.join(', ')})`);
});


t.test("a chat that gives the number never gets the number's texts, nor texts as it", async (t) => {
  const server = await withServer(t, { env: VOICE_ENV });
  const browser = await withBrowser(t);
  const agent = await (await browser.newContext()).newPage();
  const line = await (await browser.newContext({ bypassCSP: true })).newPage();
  const chatPhone = await (await browser.newContext({ bypassCSP: true })).newPage();
  await agentDesktop(agent, server, { phone: 'desk' });
  await customerPhone(line, server, CUSTOMER);
  // Another customer's web chat claims the same number and registers the phone the server gives it.
  const chat = await startChat(server, 'roadside', CUSTOMER);
  await agent.locator('#interaction-list .item-offered').getByRole('button', { name: 'Accept' }).click(); // then the next offer comes
  await agent.locator('section.interaction').waitFor();
  const res = await fetch(`${server.url}/api/v1/chats/${chat.id}/phone`, { method: 'POST', headers: { authorization: `Bearer ${chat.token}`, 'content-type': 'application/json' }, body: '{}' });
  await registeredPhone(chatPhone, server, (await res.json()) as { username: string; password: string });

  // The chat's phone texts our SMS number first, then the number's own line does.
  await text(chatPhone, SMS_NUMBER, 'sent from the chat phone');
  t.equal(await text(line, SMS_NUMBER, 'sent from the line'), 202);
  const offer = agent.locator('#interaction-list .item-offered', { hasText: `SMS ${CUSTOMER}` });
  await offer.waitFor({ timeout: 15_000 });
  await offer.getByRole('button', { name: 'Accept' }).click();
  const panel = agent.locator('section.interaction');
  await panel.locator('.entry-message.from-customer .text', { hasText: 'sent from the line' }).waitFor();
  t.equal(await panel.locator('.entry-message', { hasText: 'sent from the chat phone' }).count(), 0, "the chat's phone could not text as the number");

  const reply = 'Help is on the way.';
  await agent.getByLabel('Message').fill(reply);
  await agent.getByRole('button', { name: 'Send' }).click();
  await line.waitForFunction((reply) => (window as unknown as { inbox: Array<{ body: string }> }).inbox.some((m) => m.body === reply), reply, { timeout: 15_000 });
  t.pass("the reply reached the number's line");
  await chatPhone.waitForTimeout(1000);
  t.same(await inbox(chatPhone), [], "nothing reached the other chat's phone");
});

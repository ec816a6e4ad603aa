// Voice end to end with real parts: a real Asterisk (started by the server), the agent's sip.js
// softphone in Chromium registered through the web server's /sip proxy, and the customer's phone as a
// second SIP user agent (sip.js in a second browser context) reached through the simulated PSTN trunk.
import type { Page } from 'playwright-core';
import t from 'tap';
import { withBrowser, withServer } from '../helpers/fixtures.ts';
import { expectHears } from '../helpers/tones.ts';
import { agentDesktop, ariCredentials, callFromChat, customerPhone, mediaFlows, pressAndSettle, startChat, tonePages, VOICE_ENV } from '../helpers/voice.ts';

// Each party's microphone plays its tone (not 660 Hz, which the fallback music on hold plays).
const CUSTOMER_HZ = 440;
const AGENT_HZ = 770;

t.test('click-to-call during a chat: audio both ways, hold, mute, release, call again, customer hangs up', async (t) => {
  const server = await withServer(t, { env: VOICE_ENV });
  const [agent, phone] = (await tonePages(t, [AGENT_HZ, CUSTOMER_HZ])) as [Page, Page];
  await agentDesktop(agent, server);

  const number = '+15551230001';
  const { chat, panel } = await callFromChat(agent, phone, server, number);
  await mediaFlows(t, agent, 'the agent');
  await mediaFlows(t, phone, 'the customer');
  await expectHears(t, phone, 'on the call: the customer', { hears: [AGENT_HZ], not: [] });
  await expectHears(t, agent, 'on the call: the agent', { hears: [CUSTOMER_HZ], not: [] });

  // Every channel of the call carries the interaction and its service.
  const ari = await ariCredentials(server);
  const channels = (await (await fetch(`${ari.url}/channels`, { headers: { authorization: ari.auth } })).json()) as Array<{ id: string }>;
  t.ok(channels.length >= 2, 'the call has its channels in Asterisk');
  for (const ch of channels.filter((c) => c.id.startsWith('cc-'))) {
    const v = async (name: string) =>
      ((await (await fetch(`${ari.url}/channels/${ch.id}/variable?variable=${name}`, { headers: { authorization: ari.auth } })).json()) as { value: string }).value;
    t.equal(await v('INTERACTION_ID'), chat.id, `${ch.id} is tagged with the interaction`);
    t.equal(await v('SERVICE_ID'), 'roadside', `${ch.id} is tagged with the chat's service`);
  }

  // The chat goes on during the call.
  await fetch(`${server.url}/api/v1/chats/${chat.id}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${chat.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'I can hear you fine.' }),
  });
  await panel.getByText('I can hear you fine.').waitFor();

  // Disconnect chat is refused while the call is up: disabled with the reason, and 409 from the server.
  const disconnect = agent.getByRole('button', { name: 'Disconnect chat' });
  t.ok(await disconnect.isDisabled(), 'Disconnect chat is disabled during the call');
  t.match(await panel.locator('.interaction-status .reason').textContent(), /Release the call first/, 'the reason is shown');
  const refused = await agent.evaluate(async (id) => {
    const csrf = document.querySelector('meta[name=csrf-token]')!.getAttribute('content')!;
    const r = await fetch(`/desktop/interactions/${id}/disconnect`, { method: 'POST', headers: { 'x-csrf-token': csrf, 'hx-request': 'true' } });
    return r.status;
  }, chat.id);
  t.equal(refused, 409, 'the server refuses Disconnect while a call is up');

  // Hold and Mute, as for any voice call.
  await pressAndSettle(agent, agent.getByRole('button', { name: 'Hold' }), '/hold');
  await panel.locator('.call-state.call-on_hold').waitFor();
  t.equal(await agent.getByRole('button', { name: 'Hold' }).getAttribute('aria-pressed'), 'true', 'Hold shows pressed');
  await expectHears(t, phone, 'on hold: the customer', { hears: [], not: [AGENT_HZ] });
  await pressAndSettle(agent, agent.getByRole('button', { name: 'Hold' }), '/hold');
  await panel.locator('.call-state.call-connected').waitFor();
  await pressAndSettle(agent, agent.getByRole('button', { name: 'Mute' }), '/mute');
  await agent.locator('button[aria-pressed="true"]', { hasText: 'Mute' }).waitFor();
  await expectHears(t, phone, 'while the agent is muted: the customer', { hears: [], not: [AGENT_HZ] });
  await expectHears(t, agent, 'while muted: the agent', { hears: [CUSTOMER_HZ], not: [] });
  await agent.getByRole('button', { name: 'Mute' }).click();
  await agent.locator('button[aria-pressed="false"]', { hasText: 'Mute' }).waitFor();
  await expectHears(t, phone, 'once the agent unmutes: the customer', { hears: [AGENT_HZ], not: [] });
  await mediaFlows(t, phone, 'the customer after hold and mute');

  // Release call: the chat goes on.
  await agent.getByRole('button', { name: 'Release call' }).click();
  await panel.locator('.call-state.call-released').waitFor();
  await phone.waitForFunction(() => (window as unknown as { calls: number }).calls === 1);
  t.pass("the customer's phone hung up");

  // Call again in the same chat; this time the customer hangs up.
  await agent.getByRole('button', { name: number }).click();
  await panel.locator('.call-state.call-connected').waitFor({ timeout: 20_000 });
  await mediaFlows(t, phone, 'the customer on the second call');
  await phone.evaluate(() => (window as unknown as { softphone: { hangUp(): Promise<void> } }).softphone.hangUp());
  await panel.locator('.call-state.call-released', { hasText: 'customer hung up' }).waitFor();

  // Both calls are on the timeline with the chat's service; now the chat can be disconnected.
  const calls = await panel.locator('.entry-call').allTextContents();
  t.ok(calls.filter((c) => /connected/.test(c)).length >= 2, 'two connected calls on the timeline');
  await agent.getByRole('button', { name: 'Disconnect chat' }).click();
  await panel.locator('.state-ended').waitFor();
});

t.test('auto-dial: a service with auto-dial on calls the customer when the agent accepts', async (t) => {
  const server = await withServer(t, { env: VOICE_ENV });
  const browser = await withBrowser(t);
  const agent = await (await browser.newContext()).newPage();
  const phone = await (await browser.newContext()).newPage();
  await agentDesktop(agent, server);
  const chat = await startChat(server, 'claims', '+15551230002');
  await customerPhone(phone, server, chat);
  await agent.getByRole('button', { name: 'Accept' }).click();
  await agent.locator('.call-state.call-connected').waitFor({ timeout: 20_000 });
  await mediaFlows(t, phone, 'the auto-dialled customer');
});

t.test('failures are clear and leave the chat intact: nobody registered for the number', async (t) => {
  const server = await withServer(t, { env: VOICE_ENV });
  const browser = await withBrowser(t);
  const agent = await (await browser.newContext()).newPage();
  await agentDesktop(agent, server);
  await startChat(server, 'roadside', '+15551239999');
  await agent.getByRole('button', { name: 'Accept' }).click();
  await agent.getByRole('button', { name: '+15551239999' }).click();
  await agent.locator('.call-state.call-failed').waitFor({ timeout: 20_000 });
  t.match(await agent.locator('.call-state').textContent(), /unreachable|invalid number|failed/, 'the cause is shown');
  t.ok(await agent.getByRole('button', { name: 'Disconnect chat' }).isEnabled(), 'the chat is intact and can be disconnected');
});

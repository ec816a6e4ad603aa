// A recorded call after a transfer, with real parts: a real Asterisk records it, Chromium runs each
// phone. Agent Two (a plain agent) takes the chat and transfers it to Agent One, who accepts, calls the
// customer (recorded) and releases the call. Afterwards Agent Two, who worked the interaction first,
// still has it in its history, with the recording's player, and may play the recording.
import type { Page } from 'playwright-core';
import t from 'tap';
import { ApiClient } from '../helpers/api-client.ts';
import { agentGet } from '../helpers/desktop-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { login, withServer } from '../helpers/fixtures.ts';
import { recordCalls } from '../helpers/recording.ts';
import { TONES } from '../helpers/tones.ts';
import { transferOnDesktops } from '../helpers/handoff-calls.ts';
import { agentDesktop, customerPhone, startChat, tonePages, VOICE_ENV } from '../helpers/voice.ts';

const { customer: C, agent: ONE, supervisor: TWO } = TONES;
const NUMBER = '+15551230041';

t.test('the first agent of a transferred interaction keeps it in history and may play the recording of a call made after the transfer', async (t) => {
  const server = await withServer(t, { env: VOICE_ENV });
  await recordCalls(server);
  const [customer, first, second] = (await tonePages(t, [C, TWO, ONE])) as [Page, Page, Page];

  // Agent One (the admin) is Not Ready while Agent Two takes the chat.
  await agentDesktop(second, server, { agent: 'agent1' });
  await second.getByRole('button', { name: 'Not Ready', exact: true }).click();
  await second.locator('.presence-not_ready').waitFor();
  await agentDesktop(first, server, { agent: 'agent2' });
  const chat = await startChat(server, 'roadside', NUMBER);
  await customerPhone(customer, server, chat);
  await first.getByRole('button', { name: 'Accept' }).click();
  await first.locator('section.interaction').waitFor();

  await transferOnDesktops(first, second, 'Agent One');
  const panel = second.locator('section.interaction');
  await second.getByText('Agent One accepted the transfer from Agent Two').waitFor();

  // Agent One calls the customer: the call is recorded; once released its player is on the timeline.
  await second.getByRole('button', { name: NUMBER }).click();
  await panel.locator('.call-state.call-connected').waitFor({ timeout: 20_000 });
  await panel.locator('.entry-recording', { hasText: 'Recording started' }).waitFor();
  await second.waitForTimeout(2000);
  await second.getByRole('button', { name: 'Release call' }).click();
  const player = panel.getByLabel(/^Recording/);
  await player.waitFor({ timeout: 20_000 });
  const url = (await player.getAttribute('src'))!;
  t.equal((await new ApiClient(server.url).end(chat)).status, 200, 'the customer ends the chat');

  const agentTwo = await login(server, 'agent2');
  const history = await eventually("the chat in Agent Two's history", async () => {
    const html = await (await agentGet(agentTwo, '/desktop/history')).text();
    return html.includes(`/desktop/history/${chat.id}`) ? html : undefined;
  });
  t.match(history, /Agent Two, Agent One/, 'named with both agents, in order');
  const page = await (await agentGet(agentTwo, `/desktop/history/${chat.id}`)).text();
  t.match(page, /aria-label="Recording of the call, \d+:\d\d"/, 'its page has the recording player');
  const file = await agentGet(agentTwo, url);
  t.equal(file.status, 200, 'Agent Two, who worked it before the transfer, may play the recording of the call after it');
  t.equal(file.headers.get('content-type'), 'audio/wav');
  t.ok((await file.arrayBuffer()).byteLength > 16_000, 'with the call in it (over a second of audio)');
});

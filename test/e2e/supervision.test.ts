// Listen / Whisper / Barge / Stop with real parts, measured with tones: a real Asterisk, and three
// Chromium processes each playing its own tone as its microphone (customer 440 Hz, agent 660 Hz,
// supervisor 880 Hz). What each one's phone receives is analysed (Goertzel) at every step.
import t from 'tap';
import type { Page } from 'playwright-core';
import { logInPage, withServer } from '../helpers/fixtures.ts';
import { expectHears, TONES } from '../helpers/tones.ts';
import { agentDesktop, ariCredentials, ariGet, customerPhone, startChat, tonePages, VOICE_ENV } from '../helpers/voice.ts';

const { customer: C, agent: A, supervisor: S } = TONES;

t.test('a supervisor listens, whispers, barges and stops on a call in progress: who hears whom, by tones', async (t) => {
  const server = await withServer(t, { env: VOICE_ENV });
  const [customer, agent, supervisor] = (await tonePages(t, [C, A, S])) as [Page, Page, Page];

  // agent2 handles the chat and calls the customer; agent1 (an admin) supervises.
  await agentDesktop(agent, server, { agent: 'agent2' });
  const number = '+15551230018';
  const chat = await startChat(server, 'roadside', number);
  await customerPhone(customer, server, chat);
  await agent.getByRole('button', { name: 'Accept' }).click();
  const panel = agent.locator('section.interaction');
  await agent.getByRole('button', { name: number }).click();
  await panel.locator('.call-state.call-connected').waitFor({ timeout: 20_000 });

  await logInPage(supervisor, server.url, 'agent1');
  await supervisor.waitForURL(/\/desktop/);
  // From the interaction's Monitor page: the controls are in its call panel, kept live over its socket.
  await supervisor.goto(`${server.url}/supervisor/interactions/${chat.id}`);
  await supervisor.locator('#connection[data-state="open"]').waitFor();
  await supervisor.locator('#phone-state', { hasText: 'Phone ready' }).waitFor({ timeout: 20_000 });
  const callPanel = supervisor.getByRole('region', { name: 'Call' });
  const controls = callPanel.locator('.supervisor-controls');
  t.ok(await supervisor.getByRole('button', { name: 'Whisper' }).isDisabled(), 'Whisper waits for Listen');
  t.match(await controls.locator('.reason').first().textContent(), /Listen first/, 'with its reason');

  // Each reading is 0.68 s of what a page's phone plays. After a change media takes a moment to settle
  // (jitter buffers still hold the audio from before it), so readings are taken until two in a row
  // match (ten at most); the assertions are on those two.
  const hears = (page: Page, who: string, expected: { hears: number[]; not: number[] }) => expectHears(t, page, who, expected);
  await hears(agent, 'before Listen: the agent', { hears: [C], not: [S] });
  await hears(customer, 'before Listen: the customer', { hears: [A], not: [S] });

  // Listen: the supervisor's phone answers by itself, and hears both; nobody hears the supervisor.
  await supervisor.getByRole('button', { name: 'Listen' }).click();
  await controls.getByText('You: listening').waitFor({ timeout: 20_000 });
  await hears(supervisor, 'Listen: the supervisor', { hears: [C, A], not: [] });
  await hears(agent, 'Listen: the agent', { hears: [C], not: [S] });
  await hears(customer, 'Listen: the customer', { hears: [A], not: [S] });
  t.equal(await panel.getByText(/Supervisor Agent One/).count(), 0, 'the agent is not told of a supervisor who only listens');

  // The supervisor's channels carry the interaction.
  const ari = await ariCredentials(server);
  const channels = await ariGet<Array<{ id: string }>>(ari, '/channels');
  const phone = channels.find((c) => c.id.startsWith('sv-') && c.id.endsWith('-phone'));
  t.ok(phone, "the supervisor's phone is a channel of the controller");
  t.equal((await ariGet<{ value: string }>(ari, `/channels/${phone!.id}/variable?variable=INTERACTION_ID`)).value, chat.id, 'tagged with the interaction');
  const telephonyPage = await supervisor.evaluate(async () => (await fetch('/admin/telephony')).text());
  t.match(telephonyPage, `${chat.id} (supervisor)`, "/admin/telephony names the supervisor's phone and its interaction");
  t.match(telephonyPage, `${chat.id} (snoop)`, 'and the snoop channel');

  // Whisper: the agent hears the supervisor, the customer does not; the agent is told.
  await supervisor.getByRole('button', { name: 'Whisper' }).click();
  await controls.getByText(/You: whispering/).waitFor();
  await hears(agent, 'Whisper: the agent', { hears: [S, C], not: [] });
  await hears(customer, 'Whisper: the customer', { hears: [A], not: [S] });
  await hears(supervisor, 'Whisper: the supervisor', { hears: [C, A], not: [] });
  await panel.getByText('Supervisor Agent One: whispering to the agent').waitFor();

  // Barge: all three talk.
  await supervisor.getByRole('button', { name: 'Barge' }).click();
  await controls.getByText(/You: talking with agent and customer/).waitFor();
  await hears(agent, 'Barge: the agent', { hears: [S, C], not: [] });
  await hears(customer, 'Barge: the customer', { hears: [S, A], not: [] });
  await hears(supervisor, 'Barge: the supervisor', { hears: [C, A], not: [] });

  // Back to Listen on the same phone call, then Stop: the supervisor is gone.
  await supervisor.getByRole('button', { name: 'Listen' }).click();
  await controls.getByText('You: listening').waitFor();
  await hears(customer, 'Listen again: the customer', { hears: [A], not: [S] });
  t.equal((await ariGet<Array<{ id: string }>>(ari, '/channels')).filter((c) => c.id.endsWith('-phone')).length, 1, 'the same supervisor phone call throughout');
  await supervisor.getByRole('button', { name: 'Stop' }).click();
  await supervisor.getByRole('button', { name: 'Stop' }).and(supervisor.locator('[disabled]')).waitFor();
  await supervisor.waitForFunction(() => !(window as unknown as { softphone: { session: unknown } }).softphone.session);
  await hears(agent, 'Stop: the agent', { hears: [C], not: [S] });
  await hears(customer, 'Stop: the customer', { hears: [A], not: [S] });
  t.notOk((await ariGet<Array<{ id: string }>>(ari, '/channels')).some((c) => c.id.startsWith('sv-')), 'no channel of the supervisor is left');
  const timeline = supervisor.getByRole('region', { name: 'Timeline' }).locator('.entry-supervision');
  await timeline.getByText('Supervisor Agent One: left the call (stopped by the supervisor)').waitFor();
  const log = await timeline.locator('.milestone').allTextContents();
  t.match(log.join('\n'), /Agent One: calling.*\n.*Agent One: listening\n.*whispering.*\n.*talking with agent and customer\n.*listening\n.*Agent One: left the call \(stopped by the supervisor\)/, "Monitor's timeline lists every join, mode change and leave, live", { log });
  t.equal(await supervisor.getByRole('button', { name: /^(Send|Release call|Hold|Mute|Accept)$/ }).count(), 0, 'nothing on Monitor acts on the interaction itself');

  // An agent gets 403 on every supervisor action; the customer sees nothing of it.
  const refusedToAgent = await agent.evaluate(async (id) => {
    const csrf = document.querySelector('meta[name=csrf-token]')!.getAttribute('content')!;
    const statuses = [];
    for (const action of ['listen', 'whisper', 'barge', 'stop']) statuses.push((await fetch(`/supervisor/interactions/${id}/${action}`, { method: 'POST', headers: { 'x-csrf-token': csrf } })).status);
    statuses.push((await fetch(`/supervisor/interactions/${id}`)).status);
    statuses.push((await fetch(`/supervisor/interactions/${id}/call`)).status);
    return statuses;
  }, chat.id);
  t.same(refusedToAgent, [403, 403, 403, 403, 403, 403], 'agents get 403 on every supervisor page and action');
  const seenByCustomer = (await (await fetch(`${server.url}/api/v1/chats/${chat.id}/messages`, { headers: { authorization: `Bearer ${chat.token}` } })).json()) as { messages: Array<{ kind?: string; text?: string }> };
  t.notMatch(JSON.stringify(seenByCustomer), /supervis/i, "the customer's timeline shows no supervision");

  // Listen again, then the call ends: the supervisor leaves with it, and an ended call cannot be listened to.
  await supervisor.getByRole('button', { name: 'Listen' }).click();
  await controls.getByText('You: listening').waitFor({ timeout: 20_000 });
  await agent.getByRole('button', { name: 'Release call' }).click();
  await panel.locator('.call-state.call-released').waitFor();
  await callPanel.getByText('No call in progress.').waitFor();
  await supervisor.waitForFunction(() => !(window as unknown as { softphone: { session: unknown } }).softphone.session);
  t.match(await controls.locator('.reason').first().textContent(), /The call has ended/, 'Listen is refused with the reason');
  const afterEnd = await supervisor.evaluate(async (id) => {
    const csrf = document.querySelector('meta[name=csrf-token]')!.getAttribute('content')!;
    return (await fetch(`/supervisor/interactions/${id}/listen`, { method: 'POST', headers: { 'x-csrf-token': csrf, 'hx-request': 'true' } })).status;
  }, chat.id);
  t.equal(afterEnd, 409, 'Listen on an ended call is a conflict');
  t.notOk((await ariGet<Array<{ id: string }>>(ari, '/channels')).some((c) => c.id.startsWith('sv-')), "the call's end took the supervisor's channels");

  // Asterisk dies under a supervised call: the supervisor is taken off it with the call, and says why.
  await agent.getByRole('button', { name: number }).click();
  await panel.locator('.call-state.call-connected').waitFor({ timeout: 20_000 });
  await supervisor.getByRole('button', { name: 'Listen' }).click();
  await controls.getByText('You: listening').waitFor({ timeout: 20_000 });
  const { ari: health } = (await (await fetch(`${server.url}/healthz`)).json()) as { ari: { asteriskPid: number } };
  process.kill(health.asteriskPid, 'SIGKILL');
  await callPanel.getByText('No call in progress.').waitFor({ timeout: 20_000 });
  // The supervision is released after the call (one more push and one more durable write).
  await controls.getByText('You:').waitFor({ state: 'detached', timeout: 20_000 });
  t.pass('the supervisor is off the call');
  await timeline.getByText('Supervisor Agent One: left the call (lost when Asterisk stopped)').waitFor({ timeout: 20_000 });
  t.pass("Monitor's timeline says why the supervisor left");
  // The agent's history shows what the agent heard (the whisper, the barge), nothing of Listen (README: it stays silent).
  const history = await agent.evaluate(async (id) => (await fetch(`/desktop/history/${id}`)).text(), chat.id);
  t.match(history, /Supervisor Agent One: whispering to the agent[\s\S]*Supervisor Agent One: talking with agent and customer/, "the agent's history keeps what it heard");
  t.notMatch(history, /Supervisor Agent One: (calling|listening|left the call)/, 'and nothing of the supervisor listening or leaving');
});

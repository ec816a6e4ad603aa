// An agent working with a SIP desk phone instead of the browser softphone, end to end with real parts:
// Asterisk started by the server, baresip as the desk phone (plain SIP over UDP, G.711, auto-answer)
// registered as "<agent>-desk" with the password /account showed once, the agent desktop in Chromium
// without a softphone, and the customer's sip.js phone reached through the simulated PSTN.
import t from 'tap';
import { Baresip } from '../helpers/baresip.ts';
import { eventually } from '../helpers/eventually.ts';
import { withBrowser, withServer } from '../helpers/fixtures.ts';
import { agentDesktop, ariCredentials, ariGet, customerPhone, deskPasswordOf, mediaFlows, sipPortOf, startChat, VOICE_ENV } from '../helpers/voice.ts';

type Channel = { id: string; name: string; state: string };
type RtpStats = { txcount: number; rxcount: number };

t.test('click-to-call rings the desk phone, then the customer: audio both ways; release ends both', async (t) => {
  const server = await withServer(t, { env: VOICE_ENV });
  const browser = await withBrowser(t);
  const phones: Baresip[] = [];
  t.teardown(async () => {
    for (const p of phones) await p.stop();
  });
  const ari = await ariCredentials(server);

  // The desk phone registers as agent1-desk with a password made on /account.
  const desk = await Baresip.start({ accounts: [{ user: 'agent1-desk', password: await deskPasswordOf(server, 'agent1'), sipPort: sipPortOf(server), autoAnswer: true }] });
  phones.push(desk);
  await desk.waitRegistered('agent1-desk');
  const deskState = async () => (await ariGet<{ state: string }>(ari, '/endpoints/PJSIP/agent1-desk')).state;
  await eventually('agent1-desk online in Asterisk', async () => ((await deskState()) === 'online' ? true : undefined), 5000).catch(() => undefined);
  t.equal(await deskState(), 'online', 'Asterisk sees the desk phone registered');

  // The agent's desktop does not start the browser softphone.
  const agentContext = await browser.newContext();
  const softphoneRequests: string[] = [];
  agentContext.on('request', (r) => {
    if (r.url().includes('/client/softphone.js') || r.url().includes('/desktop/softphone')) softphoneRequests.push(r.url());
  });
  const agent = await agentContext.newPage();
  await agentDesktop(agent, server, { phone: 'desk' });
  const phone = await (await browser.newContext()).newPage();

  const number = '+15551230021';
  const chat = await startChat(server, 'roadside', number);
  await customerPhone(phone, server, chat);
  await agent.getByRole('button', { name: 'Accept' }).click();
  const panel = agent.locator('section.interaction');
  await panel.waitFor();
  await agent.locator('#phone-state', { hasText: 'desk phone' }).waitFor();
  t.same(softphoneRequests, [], 'the desktop loaded no softphone');
  t.equal((await ariGet<{ state: string }>(ari, '/endpoints/PJSIP/agent1')).state, 'offline', "the agent's browser endpoint stays unregistered");

  // Click the number: the desk phone rings and answers by itself, then the customer is called.
  await agent.getByRole('button', { name: number }).click();
  const answered = await desk.waitEvent((e) => e.type === 'CALL_ESTABLISHED', 20_000);
  t.match(answered.peeruri, /15551230021|contact-center|@/, 'the desk phone answered the controller');
  await panel.locator('.call-state.call-connected').waitFor({ timeout: 20_000 });

  // The customer's side: RTP counted by the browser (getStats).
  await mediaFlows(t, phone, 'the customer');

  // A password change during the call is asked for later: it would reload the desktop.
  const account = await agentContext.newPage();
  await account.goto(`${server.url}/account`);
  await account.getByLabel('Current password').fill('demo');
  await account.getByLabel('New password').fill('a new password 1');
  await account.getByRole('button', { name: 'Change password' }).click();
  await account.getByText('Change your password once your call has ended').waitFor();
  await account.close();
  t.match(await agent.evaluate(() => location.pathname), /^\/desktop\/interactions\//, 'the desktop stays on the chat, the call up');

  // The desk phone's side, counted twice: by baresip itself and by Asterisk for the desk channel.
  const channels = await ariGet<Channel[]>(ari, '/channels');
  const deskChannel = channels.find((c) => c.name.startsWith('PJSIP/agent1-desk-'));
  t.ok(deskChannel, 'the desk phone has a channel in Asterisk');
  t.equal(deskChannel?.state, 'Up', 'the desk channel is up');
  t.ok(deskChannel?.id.endsWith('-agent'), "the desk channel is the call's agent leg");
  t.ok(channels.some((c) => c.id.endsWith('-customer') && c.state === 'Up'), "the customer's channel is up");
  const before = { desk: (await desk.rtp())!, asterisk: await ariGet<RtpStats>(ari, `/channels/${deskChannel!.id}/rtp_statistics`) };
  await agent.waitForTimeout(2000);
  const after = { desk: (await desk.rtp())!, asterisk: await ariGet<RtpStats>(ari, `/channels/${deskChannel!.id}/rtp_statistics`) };
  const sent = after.desk.sent - before.desk.sent;
  const received = after.desk.received - before.desk.received;
  t.ok(sent > 50, `the desk phone sends audio (${sent} RTP packets in 2 s, baresip's count)`);
  t.ok(received > 50, `the desk phone receives audio (${received} RTP packets in 2 s, baresip's count)`);
  const astRx = after.asterisk.rxcount - before.asterisk.rxcount;
  const astTx = after.asterisk.txcount - before.asterisk.txcount;
  t.ok(astRx > 50 && astTx > 50, `Asterisk exchanges RTP with the desk phone (${astRx} in, ${astTx} out in 2 s)`);

  // Release call: the desk phone and the customer's phone both hang up; the chat goes on.
  const mark = desk.events.length;
  await agent.getByRole('button', { name: 'Release call' }).click();
  await panel.locator('.call-state.call-released').waitFor();
  await desk.waitEvent((e) => e.type === 'CALL_CLOSED', 10_000, mark);
  await phone.waitForFunction(() => (window as unknown as { calls: number }).calls === 1);
  t.pass('the desk phone and the customer phone hung up');
  t.same(
    (await ariGet<Channel[]>(ari, '/channels')).filter((c) => c.id.startsWith('cc-')),
    [],
    'no channel of the call is left in Asterisk',
  );
  t.ok(await agent.getByRole('button', { name: 'Disconnect chat' }).isEnabled(), 'the chat can now be disconnected');
});

// End to end in real Chromium with fake cameras, through the real SFU: an agent with the desktop open
// in two tabs closes the one without the video; the video in the other goes on, uninterrupted. Then
// the tab with the video closes while another stays: the agent's side of the video leaves the SFU.
import t from 'tap';
import { eventually } from '../helpers/eventually.ts';
import { login, videoBothWays, withBrowser, withServer } from '../helpers/fixtures.ts';
import { framesDecoded, videoStatesOf, watchVideoStates } from '../helpers/video-page.ts';
import { roomDump } from '../helpers/video-signal.ts';


t.test("the agent's video goes on when another desktop tab of theirs closes", async (t) => {
  const server = await withServer(t);
  const browser = await withBrowser(t);
  const agentContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const customer = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })).newPage();
  const agent = await agentContext.newPage();
  const pageErrors: string[] = [];
  for (const page of [agent, customer]) page.on('pageerror', (err) => pageErrors.push(err.message));

  await videoBothWays(agent, customer, server.url, 'Vera Video', '+14155550199');
  t.pass('video runs both ways');

  // Every state the agent's video goes through from now on.
  await watchVideoStates(agent);
  const second = await agentContext.newPage();
  await second.goto(`${server.url}/desktop`);
  await second.locator('#connection[data-state="open"]').waitFor();
  await second.close();
  // The video client asks the SFU every second: three of its rounds after the tab closed.
  const before = await framesDecoded(agent);
  await agent.waitForTimeout(3000);
  t.same(await videoStatesOf(agent), [], 'the video in the first tab was never interrupted');
  t.ok((await framesDecoded(agent)) > before, 'and its frames keep coming');
  t.same(pageErrors, [], 'no script errors');

  const third = await agentContext.newPage();
  await third.goto(`${server.url}/desktop`);
  await third.locator('#connection[data-state="open"]').waitFor();
  const chat = await customer.evaluate(() => JSON.parse(localStorage.getItem('chat:roadside') ?? 'null') as { id: string; token: string });
  const agentApi = await login(server, 'agent1');
  t.equal((await roomDump(agentApi, chat)).participants.agent.transports, 2, "the agent's side holds its two transports");
  await agent.close();
  await eventually("the agent's transports released", async () => ((await roomDump(agentApi, chat)).participants.agent.transports === 0 ? true : undefined), 10_000);
  t.pass('closing the tab with the video releases its transports, though another tab stays open');
});

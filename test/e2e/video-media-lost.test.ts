// End to end in real Chromium with fake cameras, through the real SFU: the network drops the video's
// media (UDP) while HTTP still answers, as when a phone moves from Wi-Fi to mobile data. Each page
// sees its media connection fail and makes its video anew; the frames come back on both sides
// without anyone pressing anything.
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { eventually } from '../helpers/eventually.ts';
import { login, videoBothWays, withBrowser, withServer } from '../helpers/fixtures.ts';
import { startMediaLink } from '../helpers/media-link.ts';
import { framesDecoded, videoStatesOf, watchVideoStates } from '../helpers/video-page.ts';
import { roomDump } from '../helpers/video-signal.ts';


// Frames decoded over the next 1.5 s (the client updates its stats once a second).
async function framesOver(page: Page): Promise<number> {
  const before = await framesDecoded(page);
  await page.waitForTimeout(1500);
  return (await framesDecoded(page)) - before;
}

// Video running both ways, its media through a link the test can cut.
async function videoThroughLink(t: Test, name: string, phone: string) {
  const link = await startMediaLink();
  t.teardown(() => link.close());
  const server = await withServer(t, { env: link.env });
  const browser = await withBrowser(t);
  const agent = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const customer = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })).newPage();
  const pageErrors: string[] = [];
  for (const page of [agent, customer]) page.on('pageerror', (err) => pageErrors.push(err.message));
  await videoBothWays(agent, customer, server.url, name, phone);
  return { link, server, agent, customer, pageErrors };
}

t.test('video whose media path is lost comes back by itself on both sides', async (t) => {
  const { link, agent, customer, pageErrors } = await videoThroughLink(t, 'Nina Network', '+14155550123');
  t.ok(link.paths() >= 2, 'the media goes through the link');

  for (const page of [agent, customer]) await watchVideoStates(page);
  link.cut();
  for (const [name, page] of [['agent', agent], ['customer', customer]] as const) {
    await eventually(`the ${name}'s video freezes`, async () => ((await framesOver(page)) === 0 ? true : undefined), 10_000);
  }
  t.pass('the cut stops the frames on both sides');

  for (const [name, page] of [['agent', agent], ['customer', customer]] as const) {
    await eventually(`the ${name}'s video is back`, async () => ((await framesOver(page)) > 10 ? true : undefined), 45_000);
    const states = await videoStatesOf(page);
    t.ok(states.includes('reconnecting'), `the ${name}'s page said the video was interrupted`);
    t.equal(states.at(-1), 'live', `and then live again`);
  }
  t.same(pageErrors, [], 'no script errors');
});

// The same, with the phone offline altogether for a moment (HTTP too): its page cannot close its old
// transports then. They are closed once the server is reached again, so the agent is not left showing
// the old, frozen track, and the customer's side holds two transports again, not four.
t.test("a page offline altogether for a moment closes its old transports once it is back", async (t) => {
  const { link, server, agent, customer, pageErrors } = await videoThroughLink(t, 'Olga Offline', '+14155550124');
  const chat = await customer.evaluate(() => JSON.parse(localStorage.getItem('chat:roadside') ?? 'null') as { id: string; token: string });
  const agentApi = await login(server, 'agent1');
  t.equal((await roomDump(agentApi, chat)).participants.customer.transports, 2, "the customer's side holds two transports");

  await watchVideoStates(customer);
  const signal = '**/api/v1/chats/*/video/signal';
  await customer.route(signal, (route) => route.abort('internetdisconnected'));
  link.cut();
  await eventually("the customer's page to find its video interrupted", async () => ((await videoStatesOf(customer)).includes('reconnecting') ? true : undefined), 20_000);
  await customer.unroute(signal);

  await eventually("the customer's video to be back on the agent's side", async () => ((await framesOver(agent)) > 10 ? true : undefined), 45_000);
  await eventually(
    "the customer's old transports to be closed",
    async () => ((await roomDump(agentApi, chat)).participants.customer.transports === 2 ? true : undefined),
    10_000,
  );
  t.pass("the customer's side holds two transports again, its old ones closed");
  t.same(pageErrors, [], 'no script errors');
});

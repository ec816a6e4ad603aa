// End to end in real Chromium with fake cameras, through the real SFU: the customer opens the chat
// again on another page while video runs, then the phone's OS kills the first page (its browser
// process dies: no page closes, no DTLS close, its socket is just cut while the new page's stays).
// The agent sees the new page's camera at once, not the dead page's frozen picture, and the SFU drops
// the dead page's transports once nothing has come from them for SFU_SILENT_TRANSPORT_S.
import t from 'tap';
import type { Page } from 'playwright-core';
import { launchKillableBrowser } from '../helpers/browser.ts';
import { eventually } from '../helpers/eventually.ts';
import { videoBothWays, withBrowser, withServer } from '../helpers/fixtures.ts';
import type { VideoRoomDump } from '../../src/domain/ports.ts';

type StatsWindow = Window & { videoStats?: { framesDecoded: number; consumers: number } };

// Frames the agent's window of the customer's camera presented so far (what the agent sees move).
const framesShown = (agent: Page): Promise<number> =>
  agent.evaluate(() => document.querySelector<HTMLVideoElement>('.remote-video')?.getVideoPlaybackQuality().totalVideoFrames ?? 0);

async function framesShownOver(agent: Page, ms: number): Promise<number> {
  const before = await framesShown(agent);
  await agent.waitForTimeout(ms);
  return (await framesShown(agent)) - before;
}

t.test("a customer's page killed without closing leaves no frozen picture and no transports behind", async (t) => {
  const silentS = 12;
  const server = await withServer(t, { env: { SFU_SILENT_TRANSPORT_S: String(silentS) } });
  const browser = await withBrowser(t);
  const doomed = await launchKillableBrowser();
  t.teardown(() => doomed.kill());
  const mobile = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
  const agent = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const first = await (await doomed.browser.newContext(mobile)).newPage();
  const pageErrors: string[] = [];
  agent.on('pageerror', (err) => pageErrors.push(err.message));
  await videoBothWays(agent, first, server.url, 'Otto Oskill', '+14155550177');

  // The same chat on a second page (the device's record of the chat copied over, as a reopened tab has it).
  const kept = await first.evaluate(() => Object.entries(localStorage));
  const chatId = (JSON.parse(kept.find(([key]) => key.startsWith('chat:'))![1]) as { id: string }).id;
  const secondContext = await browser.newContext(mobile);
  await secondContext.addInitScript((entries) => {
    for (const [key, value] of entries) if (localStorage.getItem(key) === null) localStorage.setItem(key, value);
  }, kept);
  const second = await secondContext.newPage();
  second.on('pageerror', (err) => pageErrors.push(err.message));
  await second.goto(first.url());
  await second.waitForFunction(() => ((window as StatsWindow).videoStats?.framesDecoded ?? 0) > 10, undefined, { timeout: 30_000 });
  const dump = async () => (await (await agent.request.get(`${server.url}/desktop/interactions/${chatId}/video/dump`)).json()) as VideoRoomDump;
  t.equal((await dump()).participants.customer.transports, 4, "the SFU holds both pages' transports");

  await doomed.kill();
  await agent.waitForTimeout(1000);
  t.ok((await framesShownOver(agent, 2000)) > 10, "the agent's window shows the new page's camera moving, long before the dead page's transports go");

  const left = await eventually('the dead page\'s transports to go', async () => {
    const counts = (await dump()).participants.customer;
    return counts.transports === 2 ? counts : undefined;
  }, (silentS + 20) * 1000).catch(async () => (await dump()).participants.customer);
  t.equal(left.transports, 2, "only the live page's transports are left");
  const consumers = await eventually('the agent to drop the dead tracks', async () => {
    const n = (await agent.evaluate(() => (window as StatsWindow).videoStats!)).consumers;
    return n === left.producers ? n : undefined;
  }, 5000).catch(async () => (await agent.evaluate(() => (window as StatsWindow).videoStats!)).consumers);
  t.equal(consumers, left.producers, "the agent receives only the live page's tracks");
  t.ok((await framesShownOver(agent, 2000)) > 10, 'the picture still moves');
  await t.resolves(second.getByText('Video is on.').first().waitFor(), 'the live page still shows its video on');
  t.same(pageErrors, []);
});

t.test("when the customer's newest page closes, the agent sees the camera of the page still open", async (t) => {
  const server = await withServer(t);
  const browser = await withBrowser(t);
  const mobile = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
  const agent = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const firstContext = await browser.newContext(mobile);
  const first = await firstContext.newPage();
  await videoBothWays(agent, first, server.url, 'Tess Twotabs', '+14155550178');
  // A second tab of the same chat (same device): it shows the video too, and the agent its camera.
  const second = await firstContext.newPage();
  await second.goto(first.url());
  await second.waitForFunction(() => ((window as StatsWindow).videoStats?.framesDecoded ?? 0) > 10, undefined, { timeout: 30_000 });
  await agent.waitForFunction(() => ((window as StatsWindow).videoStats?.consumers ?? 0) >= 4, undefined, { timeout: 30_000 });
  await second.close();
  await agent.waitForFunction(() => ((window as StatsWindow).videoStats?.consumers ?? 0) === 2, undefined, { timeout: 30_000 });
  await agent.waitForTimeout(1000);
  t.ok((await framesShownOver(agent, 2000)) > 10, "the agent's window shows the first tab's camera again, moving");
});

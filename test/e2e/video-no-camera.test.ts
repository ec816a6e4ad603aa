// End to end in real Chromium through the real SFU: an agent whose camera cannot be used (no webcam,
// permission denied, another program holding it) still sees the customer's camera, and the page says
// why the customer does not see them; nothing is retried for ever, and a camera held elsewhere is taken
// up once it is free. (The camera's trouble is made by the page's getUserMedia refusing video as
// Chromium does: NotFoundError with no device, NotReadableError with one another program holds.)
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { framesDecoded } from '../helpers/video-page.ts';
import { readyDesktop, startChatPage, withBrowser, withServer } from '../helpers/fixtures.ts';

type Refusal = { name: string; message: string; once: boolean };

// A chat whose customer asked for video and whose agent allowed it, the agent's camera refused as said.
async function videoWithAgentCamera(t: Test, refusal: Refusal, name: string, phone: string): Promise<{ agent: Page; customer: Page; pageErrors: string[] }> {
  const server = await withServer(t);
  const browser = await withBrowser(t);
  const agentContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await agentContext.addInitScript((r: Refusal) => {
    const ask = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    let refusing = true;
    navigator.mediaDevices.getUserMedia = (constraints) => {
      if (!constraints || !constraints.video || !refusing) return ask(constraints);
      if (r.once) refusing = false;
      return Promise.reject(new DOMException(r.message, r.name));
    };
  }, refusal);
  const agent = await agentContext.newPage();
  const customer = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })).newPage();
  const pageErrors: string[] = [];
  for (const page of [agent, customer]) page.on('pageerror', (err) => pageErrors.push(err.message));
  await readyDesktop(agent, server.url);
  await startChatPage(customer, server.url, name, phone);
  await agent.getByRole('button', { name: 'Accept' }).click();
  await customer.getByText(/joined/).waitFor();
  await customer.getByRole('button', { name: 'Request video' }).click();
  await agent.getByRole('button', { name: 'Allow' }).click();
  return { agent, customer, pageErrors };
}

const decodes = (page: Page) =>
  page.waitForFunction(() => ((window as Window & { videoStats?: { framesDecoded: number } }).videoStats?.framesDecoded ?? 0) > 10, undefined, { timeout: 30_000 });

t.test('an agent with no camera receives the video and is told the customer does not see them', async (t) => {
  const { agent, customer, pageErrors } = await videoWithAgentCamera(t, { name: 'NotFoundError', message: 'Requested device not found', once: false }, 'Carla Camera', '+14155550177');
  await decodes(agent);
  t.ok((await framesDecoded(agent)) > 10, "the agent sees the customer's camera");
  const status = agent.locator('.video-windows .video-status');
  await status.filter({ hasText: 'Your camera cannot be used' }).waitFor({ timeout: 10_000 });
  t.match(await status.textContent(), /Requested device not found.*does not see you/, 'and is told why the customer does not see them');
  t.equal(await agent.locator('.video-windows').getAttribute('data-video-state'), 'live', 'the video is live, not retrying');
  t.equal(await framesDecoded(customer), 0, 'the customer receives no camera from the agent');
  t.same(pageErrors, [], 'no script errors');
});

t.test('a camera another program held when the video started is taken up once it is free', async (t) => {
  const { agent, customer, pageErrors } = await videoWithAgentCamera(t, { name: 'NotReadableError', message: 'Could not start video source', once: true }, 'Hana Held', '+14155550178');
  const status = agent.locator('.video-windows .video-status');
  await status.filter({ hasText: 'Could not start video source' }).waitFor({ timeout: 30_000 });
  t.pass('the agent is told the camera cannot be used');
  await decodes(customer);
  t.pass("the customer then sees the agent's camera, without anyone pressing anything");
  t.equal((await status.textContent())?.trim(), '', 'and the note is gone');
  t.same(pageErrors, [], 'no script errors');
});

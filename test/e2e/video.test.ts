// End to end in real Chromium with fake cameras, through the real SFU: the customer asks for video, the
// agent is notified, opens the chat from the notification and allows it; frames are decoded on both
// sides (getStats framesDecoded rising); the customer closes the video and the chat goes on; a second
// request is allowed; the agent's End session ends video and chat on both pages. Nothing is mocked but
// the Notification constructor, wrapped to record what the page shows.
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { logInPage, startChatPage, withBrowser, withServer } from '../helpers/fixtures.ts';

interface Stats {
  framesDecoded: number;
  framesEncoded: number;
}

declare global {
  interface Window {
    videoStats?: Stats;
    shownNotifications?: { title: string; body: string; click(): void }[];
  }
}

const framesDecoded = (page: Page) => page.evaluate(() => window.videoStats?.framesDecoded ?? 0);

/** framesDecoded is above zero, then rises again a moment later: the other side's camera keeps coming. */
async function expectFramesRising(t: Test, page: Page, who: string): Promise<void> {
  await page.waitForFunction(() => (window.videoStats?.framesDecoded ?? 0) > 10, undefined, { timeout: 30_000 }).catch(async (err: unknown) => {
    const status = await page.evaluate(() =>
      Array.from(document.querySelectorAll('.video-windows, #video'), (e) => `${(e as HTMLElement).dataset.videoState ?? ''} ${e.querySelector('.video-status')?.textContent ?? ''}`).join(' | '),
    );
    throw new Error(`${who}: no frames decoded; video status: "${status}"; stats: ${JSON.stringify(await page.evaluate(() => window.videoStats))}`, { cause: err });
  });
  const first = await framesDecoded(page);
  await page.waitForFunction((n) => (window.videoStats?.framesDecoded ?? 0) > n + 10, first, { timeout: 15_000 });
  t.ok((await framesDecoded(page)) > first, `${who} decodes frames, and more keep coming`);
}

t.test('video between the customer page and the agent desktop, from request to End session', async (t) => {
  const server = await withServer(t);
  const browser = await withBrowser(t);

  const customerContext = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const agentContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, permissions: ['notifications'] });
  // Record each notification the desktop shows (headless Chromium does not draw them), keeping the real one.
  await agentContext.addInitScript(() => {
    const Real = window.Notification;
    window.shownNotifications = [];
    class Recorded extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        window.shownNotifications!.push({ title, body: options?.body ?? '', click: () => this.onclick?.(new Event('click')) });
      }
    }
    Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
    window.Notification = Recorded as typeof Notification;
  });
  const customer = await customerContext.newPage();
  const agent = await agentContext.newPage();
  const pageErrors: string[] = [];
  const consoleLines: string[] = [];
  for (const [who, page] of [['customer', customer], ['agent', agent]] as const) {
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => consoleLines.push(`${who} ${msg.type()}: ${msg.text()}`));
  }
  t.teardown(() => {
    if (t.passing()) return;
    t.comment(`browser console:\n${consoleLines.join('\n')}`);
  });
  agent.on('dialog', (dialog) => void dialog.accept()); // End session asks to confirm

  // The agent logs in (the notification permission is asked there), becomes Ready; the customer starts a chat.
  await logInPage(agent, server.url);
  await agent.waitForURL(`${server.url}/desktop`);
  t.equal(await agent.evaluate(() => Notification.permission), 'granted', 'notifications are allowed');
  await agent.getByRole('button', { name: 'Ready', exact: true }).click();
  await agent.locator('.presence-ready').waitFor();

  await startChatPage(customer, server.url, 'Vera Video', '+14155550199');
  await agent.getByRole('button', { name: 'Accept' }).click();
  await agent.locator('section.interaction').waitFor();
  await customer.getByText(/joined/).waitFor();

  // The agent looks elsewhere (no panel open) when the customer asks for video.
  await agent.goto(`${server.url}/desktop`);
  await agent.locator('#connection[data-state="open"]').waitFor();
  await customer.getByRole('button', { name: 'Request video' }).click();
  await customer.getByText(/Video requested/).waitFor();
  await agent.waitForFunction(() => (window.shownNotifications?.length ?? 0) > 0);
  const shown = await agent.evaluate(() => window.shownNotifications!.map(({ title, body }) => ({ title, body })));
  t.match(shown, [{ title: 'Video requested', body: /Vera Video asks for video/ }], 'a browser notification names the customer');
  await agent.evaluate(() => window.shownNotifications![0]!.click());
  const allow = agent.getByRole('button', { name: 'Allow' });
  await allow.waitFor();
  t.ok(await agent.getByRole('button', { name: 'Decline' }).isVisible(), 'clicking it opened the chat with Allow and Decline');
  await agent.waitForFunction(() => document.activeElement?.textContent === 'Allow');
  t.pass('the focus is on Allow');

  // Allow: two video windows on each side, frames decoded both ways.
  await allow.click();
  const windows = agent.locator('.video-windows');
  await windows.waitFor();
  t.ok(await windows.locator('video.local-video').isVisible(), "the agent's webcam window");
  t.ok(await windows.locator('video.remote-video').isVisible(), "the customer's camera window");
  await customer.locator('#video').waitFor();
  t.ok(await customer.getByLabel('Agent camera').isVisible(), 'the customer sees the agent');
  t.ok(await customer.getByLabel('Your camera').isVisible(), 'and themselves');
  await expectFramesRising(t, agent, 'the agent');
  await expectFramesRising(t, customer, 'the customer');
  for (const [who, page] of [['agent', agent], ['customer', customer]] as const) {
    const sizes = await page.waitForFunction(() => {
      const size = (selector: string) => (document.querySelector(selector) as HTMLVideoElement | null)?.videoWidth ?? 0;
      const [local, remote] = [size('video.local-video'), size('video.remote-video')];
      return local > 0 && remote > 0 ? { local, remote } : null;
    });
    t.ok(await sizes.jsonValue(), `the ${who} page plays both windows (its own camera and the other side's)`);
  }

  // Chat goes on; the agent can close nothing alone.
  await customer.getByLabel('Message').fill('Can you see the dent?');
  await customer.getByRole('button', { name: 'Send' }).click();
  await agent.locator('.entry-message.from-customer .text', { hasText: 'Can you see the dent?' }).waitFor();
  t.ok(await agent.getByRole('button', { name: 'Disconnect chat' }).isDisabled(), 'Disconnect chat is unavailable');
  t.match(await agent.locator('.interaction-status .reason').textContent(), /only the customer can close it/, 'with the reason shown');
  t.equal(await agent.getByRole('button', { name: /close video/i }).count(), 0, 'no control closes only the video');

  // The customer closes the video: windows close on both sides, the chat stays.
  await customer.getByRole('button', { name: 'Close video' }).click();
  await windows.waitFor({ state: 'detached' });
  await customer.locator('#video').waitFor({ state: 'hidden' });
  t.pass('the video windows closed on both sides');
  await agent.waitForFunction(() => window.videoStats === undefined || document.querySelector('.video-windows') === null);
  t.ok(await agent.getByRole('button', { name: 'Disconnect chat' }).isEnabled(), "the agent's usual controls are back");
  await agent.getByLabel('Message').fill('Yes, thanks. Anything else?');
  await agent.getByRole('button', { name: 'Send' }).click();
  await customer.getByText('Yes, thanks. Anything else?').waitFor();
  t.pass('the chat goes on');
  t.equal(await agent.evaluate(() => (document.querySelector('video.local-video') as HTMLVideoElement | null)?.srcObject ?? null), null, 'no camera left running on the desktop');

  // A second request, allowed; then End session ends everything, in order.
  await agent.evaluate(() => (window.videoStats = undefined));
  await customer.evaluate(() => (window.videoStats = undefined));
  await customer.getByRole('button', { name: 'Request video' }).click();
  await agent.getByRole('button', { name: 'Allow' }).click();
  await expectFramesRising(t, agent, 'the agent (second video)');
  await expectFramesRising(t, customer, 'the customer (second video)');

  await agent.getByRole('button', { name: 'End session' }).click();
  await agent.locator('section.interaction .state-ended').waitFor();
  t.equal(await agent.locator('.video-windows').count(), 0, 'the agent page shows the video closed');
  await customer.getByText('Chat ended').first().waitFor();
  await customer.locator('#video').waitFor({ state: 'hidden' });
  t.ok(await customer.getByRole('button', { name: 'Send' }).isDisabled(), 'the customer page shows the chat ended');
  const cameraOff = await customer.evaluate(() => (document.getElementById('local-video') as HTMLVideoElement).srcObject === null);
  t.ok(cameraOff, "the customer's camera is released");

  const health = (await (await fetch(`${server.url}/healthz`)).json()) as { sfu: { sessions: number } };
  t.equal(health.sfu.sessions, 0, 'no video session left on the SFU');
  t.same(pageErrors, [], 'no script errors on either page');
});

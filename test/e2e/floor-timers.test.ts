// End to end in real Chromium: the floor's timers count by the server's clock, not the viewer's. A
// wallboard TV whose clock is three minutes slow still sees a waiting chat's wait go up (it stayed at
// 0:00), and one an hour fast does not add the hour.
import t from 'tap';
import type { Page } from 'playwright-core';
import { ApiClient } from '../helpers/api-client.ts';
import { endChatAtTeardown, logInPage, pageMaker, withBrowser, withServer } from '../helpers/fixtures.ts';

const MINUTE = 60_000;

// The page's Date runs `shiftMs` off the real time, as on a PC whose clock is off.
async function supervisorWithClockOff(newPage: () => Promise<Page>, url: string, shiftMs: number): Promise<Page> {
  const page = await newPage();
  await page.addInitScript((shift: number) => {
    const RealDate = Date;
    const realNow = Date.now;
    class ShiftedDate extends RealDate {
      constructor(...args: unknown[]) {
        if (args.length === 0) super(realNow() + shift);
        else super(...(args as [number]));
      }
      static override now() {
        return realNow() + shift;
      }
    }
    globalThis.Date = ShiftedDate as DateConstructor;
  }, shiftMs);
  await logInPage(page, url, 'supervisor1', 'demo');
  await page.waitForURL(`${url}/desktop`);
  await page.goto(`${url}/supervisor`);
  await page.locator('#connection[data-state="open"]').waitFor();
  return page;
}

const timerText = (page: Page, selector: string) => page.locator(selector).first().textContent();
const minutesOf = (text: string | null) => Number((text ?? '').split(':')[0]);

t.test("the wait of a waiting chat counts up on screens whose clock is off, by the server's clock", async (t) => {
  const server = await withServer(t);
  const { newPage, pageErrors } = pageMaker(await withBrowser(t));
  const api = new ApiClient(server.url);
  const chat = await api.createChat(); // nobody is Ready: it waits
  endChatAtTeardown(t, api, chat);

  const slow = await supervisorWithClockOff(newPage, server.url, -3 * MINUTE);
  const fast = await supervisorWithClockOff(newPage, server.url, 60 * MINUTE);
  const longestWait = 'tr[data-service="roadside"] .longest-wait .timer';
  const chatTimer = `tr[data-interaction="${chat.id}"] .medium-chat .timer`;
  // Three readings a little over a second apart: each tick of the page's timers between them.
  const readings = async (page: Page, selector: string) => {
    const seconds: number[] = [];
    for (let i = 0; i < 3; i++) {
      if (i > 0) await page.waitForTimeout(1_100);
      const [m, s] = ((await timerText(page, selector)) ?? '').split(':').map(Number);
      seconds.push(m! * 60 + s!);
    }
    return seconds;
  };
  await slow.waitForTimeout(1_100); // the first tick
  for (const [what, selector] of [['the longest wait', longestWait], ['the chat timer', chatTimer]] as const) {
    const seen = await readings(slow, selector);
    t.ok(seen[0]! > 0 && seen[2]! > seen[0]!, `three minutes slow: ${what} counts up (${seen.join(', ')} s), not 0:00`);
  }
  await fast.waitForTimeout(2_000); // a few ticks of its timers
  t.equal(minutesOf(await timerText(fast, longestWait)), 0, 'an hour fast: the longest wait is under a minute, not an hour more');
  t.equal(minutesOf(await timerText(fast, chatTimer)), 0, 'and so is the chat timer');
  t.same(pageErrors, [], 'no page errors');
});

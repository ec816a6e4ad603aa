// What the video client (public/client/video.js) shows a test in a page: its stats (window.videoStats,
// updated once a second) and, once watched, every state it goes through (live, reconnecting...).
import type { Page } from 'playwright-core';

type VideoWindow = Window & { videoStats?: { framesDecoded: number }; videoCall?: { state(name: string, text: string): void }; videoStates?: string[] };

/** Frames of the other side's camera decoded so far on this page. */
export const framesDecoded = (page: Page): Promise<number> => page.evaluate(() => (window as VideoWindow).videoStats?.framesDecoded ?? 0);

/** From now on, every state the page's video goes through is kept (read with videoStatesOf). */
export async function watchVideoStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as VideoWindow;
    const call = w.videoCall!;
    const shown = call.state.bind(call);
    w.videoStates = [];
    call.state = (name, text) => (w.videoStates!.push(name), shown(name, text));
  });
}

export const videoStatesOf = (page: Page): Promise<string[]> => page.evaluate(() => (window as VideoWindow).videoStates ?? []);
